// reporting-service: configuration is in the README; the wiring in wiring.cc.
#include "libs/service/service_main.h"
#include "services/reporting/wiring.h"

int main(int argc, char** argv) { return store::RunService(argc, argv, store::reporting::Spec()); }
