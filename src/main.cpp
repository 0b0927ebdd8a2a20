// okuru: a sendmail-compatible mail submission agent. All logic lives in the
// okuru_core library (see app.hpp); this file only adapts argv.
#include <string>
#include <vector>

#include "app/app.hpp"
#include "base/privilege.hpp"

int main(int argc, char** argv) {
    // Setgid: the caller's environment goes before anything can read it (see
    // base/privilege.hpp for what is kept and why).
    okuru::clean_environment();
    std::vector<std::string> args(argv, argv + argc);
    return okuru::run(args);
}
