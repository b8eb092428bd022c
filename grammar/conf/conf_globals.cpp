// The semantic checks of the global statements queue, smtp, mda and scheduler (see
// conf_build.hpp), after OpenSMTPD 7.x's parse.y and smtpd.c: the queue encryption key is 32
// octets used as written, or read at start from the standard input (`-`, `stdin`) or the
// terminal (no key); the sub-address delimiter is one printable character, not '@' or a space;
// mda wrappers are named once and must exist before an action names one; the limits keep the
// keys that have a meaning here and refuse the others as not implemented, never ignored.
// Depends on: conf_build.hpp, format.hpp, numbers.hpp.
#include "conf_build.hpp"

#include "format.hpp"
#include "numbers.hpp"

#include <algorithm>

namespace smtpd::conf {

namespace {

constexpr std::size_t kMaxLimit = 1000000;
/// smtpd.conf(5): "%{mda}: mda command, only available for mda wrappers".
constexpr std::string_view kMdaFormat = "%{mda}";

/// `wrapper` with every %{mda} replaced by `command`.
std::string with_mda(std::string_view wrapper, std::string_view command) {
    std::string out;
    for (std::size_t at = 0;;) {
        auto const found = wrapper.find(kMdaFormat, at);
        out.append(wrapper.substr(at, found - at));
        if (found == std::string_view::npos) {
            return out;
        }
        out.append(command);
        at = found + kMdaFormat.size();
    }
}

} // namespace

// parse.y: QUEUE ENCRYPTION [STRING]; "stdin" (any case) or "-" means the standard input.
// smtpd.c's crypto_setup() refuses a key that is not KEY_SIZE octets, with -n as well.
void ConfigBuilder::queue_encryption(Token const& option, boost::optional<Token> const& key) {
    auto& queue = config_.queue;
    queue.where = where(option);
    if (!key) {
        queue.key_source = QueueCoding::KeySource::Terminal;
    } else if (key->text == "-" || lowercase(key->text) == "stdin") {
        queue.key_source = QueueCoding::KeySource::Stdin;
    } else if (key->text.size() != QueueCoding::kKeySize) {
        error(*key, "invalid key for queue encryption: expected " +
                        std::to_string(QueueCoding::kKeySize) + " characters, got " +
                        std::to_string(key->text.size()));
        return;
    } else {
        queue.key_source = QueueCoding::KeySource::Config;
        queue.key = key->text;
    }
    queue.encryption = true;
}

void ConfigBuilder::operator()(rules::QueueStmt const& s) {
    if (s.option.text == "compression") {
        config_.queue.compression = true;
        return;
    }
    if (s.option.text == "encryption") {
        queue_encryption(s.option, s.value);
        return;
    }
    // parse.y: QUEUE TTL STRING; a later ttl replaces an earlier one.
    auto const ttl = parse_duration(s.value->text);
    if (!ttl) {
        error(*s.value, "invalid ttl delay " + quote_for_message(s.value->text) +
                            ": expected a number followed by s, m, h or d");
        return;
    }
    config_.queue_ttl = *ttl;
}

// smtp limit: parse.y's opt_limit_smtp names max-rcpt and max-mails; each may be repeated, the
// last one wins.
void ConfigBuilder::smtp_limits(std::vector<rules::LimitPair> const& limits) {
    for (auto const& pair : limits) {
        std::optional<std::size_t>* target = nullptr;
        if (pair.name.text == "max-rcpt") {
            target = &config_.smtp_limits.max_rcpt;
        } else if (pair.name.text == "max-mails") {
            target = &config_.smtp_limits.max_mails;
        } else {
            error(pair.name, "invalid session limit " + quote_for_message(pair.name.text) +
                                 R"(: expected "max-rcpt" or "max-mails")");
            continue;
        }
        auto const n = parse_number(pair.number.text, 1, kMaxLimit);
        if (!n) {
            error(pair.number, "invalid " + pair.name.text + " " +
                                   quote_for_message(pair.number.text) +
                                   ": expected a number between 1 and 1000000");
            continue;
        }
        *target = n;
    }
}

// smtp max-message-size: parse.y's size, a NUMBER or a STRING read by scan_scaled(3).
void ConfigBuilder::max_message_size(Token const& size) {
    auto const bytes = parse_size(size.text);
    if (!bytes) {
        error(size, "invalid max-message-size " + quote_for_message(size.text) +
                        ": expected a number of bytes, optionally followed by K, M or G");
        return;
    }
    if (*bytes == 0) {
        error(size, "invalid max-message-size " + quote_for_message(size.text) +
                        ": the size must be at least 1 byte");
        return;
    }
    config_.smtp_limits.max_message_size = bytes;
}

// parse.y: "subaddressing-delimiter must be one character"; not a space, not unprintable, not
// '@' ("sub-addr-delim uses invalid character").
void ConfigBuilder::sub_addr_delim(Token const& value) {
    if (value.text.size() != 1) {
        error(value, "invalid sub-addr-delim " + quote_for_message(value.text) +
                         ": expected one character");
        return;
    }
    char const c = value.text[0];
    if (c <= ' ' || c > '~' || c == '@') {
        error(value, "invalid sub-addr-delim " + quote_for_message(value.text) +
                         ": a space, an unprintable character or \"@\" cannot delimit");
        return;
    }
    config_.sub_addr_delim = c;
}

void ConfigBuilder::operator()(rules::SmtpStmt const& s) {
    if (s.option.text == "limit") {
        smtp_limits(s.limits);
    } else if (s.option.text == "max-message-size") {
        max_message_size(*s.size);
    } else if (s.option.text == "sub-addr-delim") {
        sub_addr_delim(*s.size);
    } else if (s.size->text.empty()) {
        error(*s.size, "empty cipher list");
    } else {
        config_.smtp_ciphers = s.size->text;
    }
}

// parse.y: MDA WRAPPER STRING STRING, "mda wrapper already declared with that name"; the
// command is a format (%{mda} and the others of smtpd.conf(5)). MDA LIMIT: opt_limit_mda.
void ConfigBuilder::operator()(rules::MdaStmt const& s) {
    if (s.option.text == "wrapper") {
        if (config_.mda_wrappers.find(s.name->text) != config_.mda_wrappers.end()) {
            error(*s.name, "mda wrapper already declared with that name: " +
                               quote_for_message(s.name->text));
            return;
        }
        if (s.command->text.empty()) {
            error(*s.command, "empty mda wrapper command");
            return;
        }
        if (auto const bad = check_format(with_mda(s.command->text, {}))) {
            error(*s.command, "invalid mda wrapper command " + quote_for_message(s.command->text) +
                                  ": " + bad->message);
            return;
        }
        config_.mda_wrappers.emplace(s.name->text, s.command->text);
        return;
    }
    // parse.y: opt_limit_mda.
    process_limits("mda", s.limits, "max-session",
                   {"max-session-per-user", "task-lowat", "task-hiwat", "task-release"},
                   config_.limits.mda_max_session);
}

// parse.y: SCHEDULER LIMIT, opt_limit_scheduler.
void ConfigBuilder::operator()(rules::SchedulerStmt const& s) {
    process_limits("scheduler", s.limits, "max-inflight",
                   {"max-evp-batch-size", "max-msg-batch-size", "max-schedule"},
                   config_.limits.scheduler_max_inflight);
}

// The one key of `kind limit` that has a meaning here, `key`; parse.y's other keys (`later`)
// are refused as not implemented, never ignored, and any other is parse.y's error.
void ConfigBuilder::process_limits(std::string_view kind,
                                   std::vector<rules::LimitPair> const& limits,
                                   std::string_view key,
                                   std::initializer_list<std::string_view> later,
                                   std::optional<std::size_t>& target) {
    for (auto const& pair : limits) {
        std::string const k(kind);
        if (std::find(later.begin(), later.end(), pair.name.text) != later.end()) {
            error(pair.name,
                  k + " limit " + quote_for_message(pair.name.text) + " is not implemented yet");
            continue;
        }
        if (pair.name.text != key) {
            error(pair.name,
                  "invalid " + k + " limit keyword: " + quote_for_message(pair.name.text));
            continue;
        }
        auto const n = parse_number(pair.number.text, 1, kMaxLimit);
        if (!n) {
            error(pair.number, "invalid " + pair.name.text + " " +
                                   quote_for_message(pair.number.text) +
                                   ": expected a number between 1 and 1000000");
            continue;
        }
        target = n;
    }
}

// parse.y: WRAPPER STRING, "no mda wrapper with that name". mda_unpriv.c runs the wrapper's
// command instead, its %{mda} the mda command expanded. The same, as one expansion: the
// command's format takes the place of %{mda} in the wrapper's, so each value is still one
// quoted shell word. OpenSMTPD also wraps mbox deliveries (their mail.local command); here the
// mda method only (maildir, mbox and lmtp are not commands).
bool ConfigBuilder::action_wrapper(Action& action, Token const& name) {
    auto const wrapper = config_.mda_wrappers.find(name.text);
    if (wrapper == config_.mda_wrappers.end()) {
        error(name, "no mda wrapper with that name: " + quote_for_message(name.text));
        return false;
    }
    if (action.method != Action::Method::Mda) {
        error(name, "\"wrapper\" is implemented for mda actions only");
        return false;
    }
    action.wrapper = name.text;
    action.command = with_mda(wrapper->second, action.command);
    return true;
}

} // namespace smtpd::conf
