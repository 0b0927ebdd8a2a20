#include <catch2/catch.hpp>

#include "spool.hpp"
