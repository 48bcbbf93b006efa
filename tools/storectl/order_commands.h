// `storectl order ...` and `storectl seed demo`.
#ifndef STORE_TOOLS_STORECTL_ORDER_COMMANDS_H_
#define STORE_TOOLS_STORECTL_ORDER_COMMANDS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "store/common/v1/address.pb.h"
#include "store/common/v1/money.pb.h"
#include "store/order/v1/order.pb.h"
#include "store/order/v1/order_service.grpc.pb.h"
#include "tools/storectl/cli.h"

namespace store::cli {

int OrderCommand(const Global& g, const std::vector<std::string>& argv);
// `storectl order job ...` (order_job_commands.cc); `args` as OrderCommand
// parsed them ("job" is positional 0).
int OrderJobCommand(const Global& g, const Args& args);
// The order service at --addr, else ORDER_SERVICE_ADDR.
std::unique_ptr<order::v1::OrderService::Stub> OrderServiceStub(const Args& args);
// The filters of `order list` (--status, --email, ...).
absl::Status FillOrderFilter(const Args& args, order::v1::OrderFilter* f);
int SeedCommand(const Global& g, const std::vector<std::string>& argv);
// `storectl cart ...` and `storectl code ...` (cart_commands.cc).
int CartCommand(const Global& g, const std::vector<std::string>& argv);
int CodeCommand(const Global& g, const std::vector<std::string>& argv);
// Seeds two discount codes and a few open carts (part of `seed demo`).
// `customer_ids`: (id, email) of registered demo customers.
int SeedDemoCarts(const Global& g, const std::string& order_addr,
                  const std::vector<std::pair<std::string, std::string>>& customer_ids);

// --item SKU:NAME:QTY:UNIT_PRICE_MINOR[:TAX_BP] and
// --address "NAME|LINE1|CITY|COUNTRY[|POSTAL]".
absl::Status ParseItem(const std::string& spec, order::v1::OrderItem* item);
absl::Status ParseAddress(const std::string& spec, common::v1::Address* a);
// "12.50 USD".

}  // namespace store::cli

#endif  // STORE_TOOLS_STORECTL_ORDER_COMMANDS_H_
