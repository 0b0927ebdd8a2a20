#include "app/startup.hpp"

#include "app/maillog.hpp"
#include "base/log.hpp"
#include "base/privilege.hpp"
#include "store/keep_place.hpp"

namespace okuru {

void Preloaded::add(const std::string& account, Fd file, std::string path) {
    opened_[account] = Opened{std::move(file), std::move(path)};
}

const Secret* Preloaded::password(const std::string& account) const {
    if (auto it = read_.find(account); it != read_.end()) return &it->second;
    auto it = opened_.find(account);
    if (it == opened_.end()) return nullptr;
    Secret secret = read_opened_secret(it->second.file, it->second.path,
                                       "password of account " + account, "password_file");
    opened_.erase(it);
    return &read_.emplace(account, std::move(secret)).first->second;
}

bool reads_config(Mode mode) {
    return mode == Mode::send || mode == Mode::test_message || mode == Mode::resend_failed ||
           mode == Mode::print_queue || mode == Mode::check || mode == Mode::serverinfo ||
           mode == Mode::list_accounts || mode == Mode::smtp_stdio;
}

namespace {

// Client certificates and keys of the system configuration, read while the
// privilege allows (a key kept like the password file, root:okuru 0640). A file
// that cannot be read now is left for later: GnuTLS then reads it with the
// user's rights and reports it for that account alone, as without privilege.
void preload_client_identities(Config& config) {
    for (Account& a : config.accounts) {
        if (a.client_cert.empty()) continue;
        try {
            const std::string what = "client certificate of account " + a.name;
            Secret cert = read_pem_file(a.client_cert, what);
            if (a.client_key.empty() || a.client_key == a.client_cert) {
                a.client_identity = std::make_shared<const Secret>(std::move(cert));
                continue;
            }
            const Secret key = read_pem_file(a.client_key, what);
            std::string both;
            both.reserve(cert.reveal().size() + key.reveal().size() + 1);
            both.append(cert.reveal()).append("\n").append(key.reveal());
            a.client_identity = std::make_shared<const Secret>(Secret(std::move(both)));
        } catch (const std::exception&) {
        }
    }
}

}  // namespace

// Password files of the system configuration are opened (and checked) now, while
// they still can be, and read only when their account is used; client
// certificates are read now (password commands and $CREDENTIALS_DIRECTORY belong
// to the user and wait); then privileges are dropped for good.
Config load(const Options& opt, Preloaded& preloaded, Fd* log_file) {
    const std::string path = find_config_path(opt.config_file);
    // Only the system file may be read with privilege: a user's own file (and the
    // password files it names) is read with the user's rights alone.
    // The caller's environment comes back with the user's rights alone.
    if (is_privileged() && path != system_config_path) {
        drop_privileges();
        restore_caller_environment();
    }
    const Privilege privilege = current_privilege();
    Config config = load_config(path, privilege);
    check_dead_letter(config);  // one user's Maildir (store/keep_place.hpp)
    // The administrator's rules bind whoever submits through the system file
    // (issue 12): a user with the setgid group, and a member of the okuru group
    // such as the okuru-smtp socket service, which reads it without the setgid
    // bit (NoNewPrivileges). Root is never restricted (app/authorize.cpp).
    config.authorization.enforced = path == system_config_path;
    if (privilege.held) {
        for (const Account& a : config.accounts)
            if (a.password.kind == PasswordSource::Kind::file)
                preloaded.add(a.name,
                              open_private_file(a.password.text, "password of account " + a.name,
                                                "password_file", privilege.group),
                              a.password.text);
        preload_client_identities(config);
        // The administrator's log file may be writable by the group alone. Only a
        // file root made is opened with the privilege (the path may come from the
        // caller's $HOME); anything else is opened later with the user's rights.
        if (log_file && !config.log_file.empty()) *log_file = open_system_log_file(config.log_file);
        drop_privileges();
    }
    if (opt.log_file) log::open_file(*opt.log_file);
    return config;
}

}  // namespace okuru
