#include <catch2/catch.hpp>

#include "cli.hpp"
