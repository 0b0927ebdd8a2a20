// okuru: a sendmail-compatible mail submission agent. All logic lives in the
// okuru_core library (see app.hpp); this file only adapts argv.
#include <string>
#include <vector>

#include "app/app.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv, argv + argc);
    return okuru::run(args);
}
