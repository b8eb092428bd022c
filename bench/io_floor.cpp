// The file-system work of a durable message alone, without SMTP, IPC or processes, as smtpd
// does it: per message, a spool file taken from free/, written, fsynced, renamed within queue/
// and queue/ fsynced (the commit, 2 syncs); then a Maildir copy written to tmp/, fsynced,
// renamed into new/, and new/ fsynced once per `batch` copies; then the spool file renamed back
// to free/ and truncated, unsynced. T threads share the messages.
// Prints messages per second and the CPU it took (the process, and the whole machine from
// /proc/stat, which counts the kernel's I/O threads and interrupts).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

double machine_busy_seconds() {
    std::ifstream stat("/proc/stat");
    std::string cpu;
    long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
    stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq;
    return static_cast<double>(user + nice + system + irq + softirq) /
           static_cast<double>(sysconf(_SC_CLK_TCK));
}

double process_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/// A positive whole number from the command line, or the usage message.
long number(char const* text) {
    char* end = nullptr;
    long const value = std::strtol(text, &end, 10);
    if (end == text || *end != '\0' || value <= 0) {
        std::fprintf(stderr, "io_floor: not a positive number: %s\n", text);
        std::exit(2);
    }
    return value;
}

void check(bool ok, char const* what) {
    if (!ok) {
        std::perror(what);
        std::exit(1);
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 6) {
        std::fprintf(stderr, "usage: io_floor DIR MESSAGES THREADS SIZE BATCH\n");
        return 2;
    }
    std::string const dir = argv[1];
    long const messages = number(argv[2]);
    int const threads = static_cast<int>(number(argv[3]));
    std::string const body(static_cast<std::size_t>(number(argv[4])), 'x');
    long const batch = number(argv[5]);
    for (char const* sub :
         {"/queue", "/free", "/Maildir", "/Maildir/tmp", "/Maildir/new", "/Maildir/cur"}) {
        ::mkdir((dir + sub).c_str(), 0700);
    }
    int const queue = ::open((dir + "/queue").c_str(), O_RDONLY | O_DIRECTORY);
    int const fresh = ::open((dir + "/Maildir/new").c_str(), O_RDONLY | O_DIRECTORY);
    check(queue >= 0 && fresh >= 0, "open dirs");
    std::atomic<long> next{0};
    // As the queue does: a message file reused from free/ (no inode made), the content after a
    // 64 KiB envelope area, renamed within queue/ at the commit; removed by a rename back to
    // free/ and a truncation, unsynced. The Maildir copy is a new file each time.
    auto work = [&](int t) {
        long mine = 0;
        std::string const spare = dir + "/free/" + std::to_string(t);
        int made = ::open(spare.c_str(), O_CREAT | O_WRONLY, 0600);
        check(made >= 0 && ::close(made) == 0, "free file");
        std::string const header(32, 'h');
        std::string const slot(200, 'e');
        for (long n = next++; n < messages; n = next++) {
            std::string const id = std::to_string(t) + "." + std::to_string(n);
            std::string const receiving = dir + "/queue/" + id + ".new";
            std::string const queued = dir + "/queue/" + id;
            check(::rename(spare.c_str(), receiving.c_str()) == 0, "take free");
            int fd = ::open(receiving.c_str(), O_WRONLY);
            check(fd >= 0 && ::pwrite(fd, header.data(), header.size(), 0) == 32 &&
                      ::pwrite(fd, body.data(), body.size(), 65536) ==
                          static_cast<ssize_t>(body.size()) &&
                      ::pwrite(fd, slot.data(), slot.size(), 32) == 200,
                  "spool write");
            check(::fsync(fd) == 0 && ::close(fd) == 0, "spool fsync");
            check(::rename(receiving.c_str(), queued.c_str()) == 0 && ::fsync(queue) == 0,
                  "commit");
            std::string const tmp = dir + "/Maildir/tmp/" + id;
            fd = ::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
            check(fd >= 0 &&
                      ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()),
                  "maildir write");
            check(::fsync(fd) == 0 && ::close(fd) == 0, "maildir fsync");
            check(::rename(tmp.c_str(), (dir + "/Maildir/new/" + id).c_str()) == 0, "rename");
            if (++mine % batch == 0) {
                check(::fsync(fresh) == 0, "new/ fsync");
            }
            check(::rename(queued.c_str(), spare.c_str()) == 0 && ::truncate(spare.c_str(), 0) == 0,
                  "remove");
        }
        check(::fsync(fresh) == 0, "new/ fsync");
    };
    double const cpu0 = process_seconds();
    double const busy0 = machine_busy_seconds();
    auto const t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back(work, t);
    }
    for (auto& t : pool) {
        t.join();
    }
    double const wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double const cpu = process_seconds() - cpu0;
    double const busy = machine_busy_seconds() - busy0;
    std::printf("messages=%ld threads=%d size=%zu batch=%ld msg/s=%.0f "
                "process_cpu_ms_per_msg=%.3f machine_cpu_ms_per_msg=%.3f\n",
                messages, threads, body.size(), batch, static_cast<double>(messages) / wall,
                cpu * 1000 / static_cast<double>(messages),
                busy * 1000 / static_cast<double>(messages));
    return 0;
}
