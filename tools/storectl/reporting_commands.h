// `storectl reporting ...`.
#ifndef STORE_TOOLS_STORECTL_REPORTING_COMMANDS_H_
#define STORE_TOOLS_STORECTL_REPORTING_COMMANDS_H_

#include <string>
#include <vector>

#include "tools/storectl/cli.h"

namespace store::cli {

int ReportingCommand(const Global& g, const std::vector<std::string>& argv);

}  // namespace store::cli

#endif  // STORE_TOOLS_STORECTL_REPORTING_COMMANDS_H_
