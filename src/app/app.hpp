// The program as a whole: command line -> configuration -> message -> routes ->
// one submission per account, and the exit code of the worst outcome. main()
// only converts argv and calls run().
#pragma once

#include <span>
#include <string>

namespace okuru {

// Never throws: errors are printed to stderr ("okuru: ...") and become the exit code.
int run(std::span<const std::string> args);

}  // namespace okuru
