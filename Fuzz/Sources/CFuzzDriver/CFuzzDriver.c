// SwiftPM needs one source file in a C target; the declaration lives in include/CFuzzDriver.h.
#include "CFuzzDriver.h"
