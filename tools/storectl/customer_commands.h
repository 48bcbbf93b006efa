// `storectl customer ...` (and its shortcuts `blacklist`, `privacy`,
// `erasure`), and the customer part of `storectl seed demo`.
#ifndef STORE_TOOLS_STORECTL_CUSTOMER_COMMANDS_H_
#define STORE_TOOLS_STORECTL_CUSTOMER_COMMANDS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/storectl/cli.h"

namespace store::cli {

// argv after `customer`.
int CustomerCommand(const Global& g, const std::vector<std::string>& argv);

// The customer service's address: --customer-addr, else CUSTOMER_SERVICE_ADDR
// (environment or .dev/env); "" when neither is set.
std::string CustomerAddress(const Args& args);

// Loads the demo customers (groups, custom fields, customers with addresses,
// a note, wallet credits, a blacklist entry, segments) into the customer
// service at `addr`, idempotently. Returns the ids of the registered
// customers by email, for the demo orders. Prints a summary.
absl::StatusOr<std::map<std::string, std::string>> SeedDemoCustomers(const Global& g,
                                                                     const std::string& addr);

}  // namespace store::cli

#endif  // STORE_TOOLS_STORECTL_CUSTOMER_COMMANDS_H_
