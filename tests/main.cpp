// The single Catch2 main for okuru-tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
