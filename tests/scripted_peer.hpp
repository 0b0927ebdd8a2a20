// An in-process Transport driven by a script, for protocol tests without
// sockets: it records every byte the client writes and answers from the script.
#pragma once
#include "transport.hpp"
