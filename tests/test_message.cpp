#include <catch2/catch.hpp>

#include "message.hpp"
