// gateway-openapi: prints the gateway's OpenAPI document (the same one the
// gateway serves at /v1/openapi.json), generated from the route annotations.
#include <cstdio>
#include <string>

#include "services/gateway/transcoding/openapi.h"
#include "services/gateway/transcoding/route_table.h"
#include "services/gateway/transcoding/services.h"

int main() {
  auto table = store::gateway::RouteTable::Build(store::gateway::ExposedServices());
  if (!table.ok()) {
    std::fprintf(stderr, "gateway-openapi: %s\n", table.status().ToString().c_str());
    return 1;
  }
  const std::string doc = store::gateway::OpenApiDocument(*table, "store-backend", "1.0.0");
  std::fwrite(doc.data(), 1, doc.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}
