// A storefront server's smallest client, typed by the types openapi-typescript
// generates from the gateway's OpenAPI document (schema.d.ts, made by
// check_openapi.sh client). It is only type-checked (tsc --noEmit): a change
// of the document that would break a frontend build breaks this test.
import type { components, paths } from "./schema";

type Json<T> = T extends { content: { "application/json": infer B } } ? B : never;

type PlaceOrderBody = Json<paths["/v1/orders"]["post"]["requestBody"]>;
type PlacedOrder = Json<paths["/v1/orders"]["post"]["responses"][200]>;
type ReadOrder = Json<paths["/v1/orders/{id}"]["get"]["responses"][200]>;
type ApiError = components["schemas"]["Error"];
type Money = components["schemas"]["store.common.v1.Money"];

export class StoreClient {
  constructor(private readonly base: string, private readonly token: string) {}

  private async call<T>(method: string, path: string, body?: unknown, key?: string): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (key !== undefined) headers["Idempotency-Key"] = key;
    const response = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      const error = (await response.json()) as ApiError;
      throw new Error(`${response.status} ${error.code} ${error.reason} ${error.field}: ${error.message}`);
    }
    return (await response.json()) as T;
  }

  placeOrder(body: PlaceOrderBody, idempotencyKey: string): Promise<PlacedOrder> {
    return this.call<PlacedOrder>("POST", "/v1/orders", body, idempotencyKey);
  }

  getOrder(id: string): Promise<ReadOrder> {
    return this.call<ReadOrder>("GET", `/v1/orders/${encodeURIComponent(id)}`);
  }
}

export async function placeAndRead(client: StoreClient): Promise<string> {
  const price: Money = { amountMinor: "1250", currencyCode: "EUR" };
  const placed = await client.placeOrder(
    {
      requestId: "3f8b2c1e-9d4a-4b7e-8f21-0a1b2c3d4e5f",
      currencyCode: "EUR",
      customer: { email: "ada@example.com", name: "Ada Lovelace" },
      items: [
        {
          sku: "MUG-1",
          name: "Mug",
          quantity: 2,
          unitPrice: price,
          taxRateBp: 2000,
        },
      ],
      shippingAddress: {
        line1: "1 Main Street",
        city: "Lyon",
        postalCode: "69001",
        countryCode: "FR",
      },
      deliveryMethod: { code: "standard", fee: { amountMinor: "490", currencyCode: "EUR" } },
      paymentMethod: "PAYMENT_METHOD_CARD",
    },
    "3f8b2c1e-9d4a-4b7e-8f21-0a1b2c3d4e5f",
  );
  const order = await client.getOrder(placed.id ?? "");
  const total: string | undefined = order.totals?.total?.amountMinor;
  const number: string | undefined = order.number;
  const lines: number = (order.items ?? []).reduce((n, item) => n + (item.quantity ?? 0), 0);
  return `order ${number}: ${lines} units, ${total} minor units`;
}
