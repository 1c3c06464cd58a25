// Entry point of the `spl` binary; everything else is in driver.cc.
#include "driver.h"

int main(int argc, char** argv) { return spl::spl_main(argc, argv); }
