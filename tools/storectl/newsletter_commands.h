// `storectl newsletter ...`.
#ifndef STORE_TOOLS_STORECTL_NEWSLETTER_COMMANDS_H_
#define STORE_TOOLS_STORECTL_NEWSLETTER_COMMANDS_H_

#include <string>
#include <vector>

#include "tools/storectl/cli.h"

namespace store::cli {

// argv after `newsletter`.
int NewsletterCommand(const Global& g, const std::vector<std::string>& argv);

}  // namespace store::cli

#endif  // STORE_TOOLS_STORECTL_NEWSLETTER_COMMANDS_H_
