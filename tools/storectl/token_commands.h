// storectl token / webhook: staff access tokens for the gateway and
// signatures for calling its signed webhooks by hand.
#ifndef STORE_TOOLS_STORECTL_TOKEN_COMMANDS_H_
#define STORE_TOOLS_STORECTL_TOKEN_COMMANDS_H_

#include <string>
#include <vector>

namespace store::cli {

int TokenCommand(const std::vector<std::string>& argv);
int WebhookCommand(const std::vector<std::string>& argv);

}  // namespace store::cli

#endif  // STORE_TOOLS_STORECTL_TOKEN_COMMANDS_H_
