#include <catch2/catch.hpp>

#include "address.hpp"
