/*
 * IVSHMEM v2 interconnect server
 *
 * Owns the shared memory of one IVSHMEM v2 link and the doorbell eventfds
 * of all its peers, and hands them to the device models that connect over
 * a UNIX stream socket (server protocol version 2, see
 * Documentation/dev-tools/ivshmem/server.rst).
 *
 * Standalone: needs glibc only.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/un.h>

#define PROG "ivshmem2-server"

#define IVSHMEM2_PROTOCOL_VERSION   2

#define MSG_INIT        0
#define MSG_EVENT_FD    1
#define MSG_PEER_GONE   2

#define MSG_INIT_LEN        40
#define MSG_EVENT_FD_LEN    16
#define MSG_PEER_GONE_LEN   12

#define DEFAULT_SOCKET      "/tmp/ivshmem2_socket"
#define DEFAULT_SHM_NAME    "/ivshmem2"
#define DEFAULT_MAX_PEERS   2
#define DEFAULT_VECTORS     2
#define DEFAULT_PROTOCOL    0
#define DEFAULT_RW_SIZE     (64 * 1024)
#define DEFAULT_OUT_SIZE    (64 * 1024)

#define MIN_PEERS           2
#define MAX_PEERS           65536
#define MAX_VECTORS         1024
#define SECTION_ALIGN       4096ULL

#define VIRTIO_PROTOCOL     0x8000
#define VIRTIO_BACKEND      0x4000

/* How long one message may wait for room in a peer's socket buffer */
#define SEND_TIMEOUT_MS     5000

#define HUGETLBFS_MAGIC_NR  0x958458f6

#define SUN_PATH_MAX        (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

#define TOKEN_LISTEN        UINT64_MAX
#define TOKEN_SIGNAL        (UINT64_MAX - 1)

typedef struct Peer {
    int sock;
    bool dead;
    int *efd;
} Peer;

typedef struct Server {
    /* options */
    const char *socket_path;
    const char *shm_name;
    const char *mem_path;
    const char *pid_path;
    uint32_t max_peers;
    uint32_t vectors;
    uint32_t protocol;
    uint64_t rw_size;
    uint64_t out_size;
    uint64_t total_size;
    bool rw_given;
    bool total_given;
    bool foreground;
    bool verbose;

    /* derived */
    uint64_t state_size;
    char *socket_abs;
    char *pid_abs;
    bool shm_created;
    bool socket_bound;
    bool pid_written;

    /* runtime */
    int shm_fd;
    uint32_t *state;
    size_t state_map_len;
    int listen_fd;
    int sig_fd;
    int epoll_fd;
    int spare_fd;
    Peer **peers;
    uint32_t ndead;
} Server;

static Server srv = {
    .socket_path = DEFAULT_SOCKET,
    .max_peers = DEFAULT_MAX_PEERS,
    .vectors = DEFAULT_VECTORS,
    .protocol = DEFAULT_PROTOCOL,
    .rw_size = DEFAULT_RW_SIZE,
    .out_size = DEFAULT_OUT_SIZE,
    .shm_fd = -1,
    .listen_fd = -1,
    .sig_fd = -1,
    .epoll_fd = -1,
    .spare_fd = -1,
};

static void cleanup(void);

/* Fatal error during start-up: one line on stderr, exit status 1 */
static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
    va_list ap;

    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cleanup();
    exit(1);
}

/* Runtime log: stdout (line-buffered) in foreground mode, else syslog */
static void __attribute__((format(printf, 2, 3)))
log_msg(int prio, const char *fmt, ...)
{
    va_list ap;

    if (prio == LOG_DEBUG && !srv.verbose) {
        return;
    }
    va_start(ap, fmt);
    if (srv.foreground) {
        FILE *f = prio <= LOG_WARNING ? stderr : stdout;

        fputs(PROG ": ", f);
        vfprintf(f, fmt, ap);
        fputc('\n', f);
        fflush(f);
    } else {
        vsyslog(prio, fmt, ap);
    }
    va_end(ap);
}

static void usage(void)
{
    printf("Usage: " PROG " [options]\n"
           "IVSHMEM v2 interconnect server (protocol version 2)\n"
           "  -S <path>   UNIX socket to listen on (default "
           DEFAULT_SOCKET ")\n"
           "  -M <name>   POSIX shared memory object (default "
           DEFAULT_SHM_NAME ")\n"
           "  -m <path>   back the memory with a file (created/truncated)\n"
           "              or a temporary file in a directory (e.g. hugetlbfs)\n"
           "  -n <n>      maximum number of peers, 2..65536 (default %d)\n"
           "  -V <n>      interrupt vectors per peer, 1..1024 (default %d)\n"
           "  -P <proto>  protocol type, 0..0xffff, hex with 0x (default 0)\n"
           "  -r <size>   R/W section size (default 64K)\n"
           "  -o <size>   output section size per peer (default 64K)\n"
           "  -l <size>   total size; R/W section = the remainder (excl. -r)\n"
           "  -F          stay in the foreground, log to stdout\n"
           "  -p <path>   write the process ID to this file\n"
           "  -v          verbose\n"
           "  -h          this help\n"
           "Sizes take K, M or G suffixes and must be multiples of 4 KiB.\n",
           DEFAULT_MAX_PEERS, DEFAULT_VECTORS);
}

/*
 * Parse an unsigned number: decimal, or hexadecimal with a 0x prefix.
 * With @suffix, a K, M or G suffix multiplies by 2^10, 2^20 or 2^30.
 * Returns false on garbage or overflow.
 */
static bool parse_number(const char *s, bool suffix, uint64_t *res)
{
    uint64_t v = 0, mult = 1;
    unsigned base = 10;
    bool any = false;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (; *s; s++) {
        unsigned d;

        if (*s >= '0' && *s <= '9') {
            d = *s - '0';
        } else if (base == 16 && *s >= 'a' && *s <= 'f') {
            d = *s - 'a' + 10;
        } else if (base == 16 && *s >= 'A' && *s <= 'F') {
            d = *s - 'A' + 10;
        } else {
            break;
        }
        if (__builtin_mul_overflow(v, base, &v) ||
            __builtin_add_overflow(v, d, &v)) {
            return false;
        }
        any = true;
    }
    if (!any) {
        return false;
    }
    if (suffix && *s) {
        switch (*s) {
        case 'k':
        case 'K':
            mult = 1ULL << 10;
            break;
        case 'm':
        case 'M':
            mult = 1ULL << 20;
            break;
        case 'g':
        case 'G':
            mult = 1ULL << 30;
            break;
        default:
            return false;
        }
        s++;
    }
    if (*s) {
        return false;
    }
    return !__builtin_mul_overflow(v, mult, res);
}

static uint64_t parse_size(int opt, const char *arg, const char *what)
{
    uint64_t v;

    if (!parse_number(arg, true, &v)) {
        die("-%c %s: invalid %s (a number with optional K/M/G suffix)",
            opt, arg, what);
    }
    if (v % SECTION_ALIGN) {
        die("-%c %s: %s must be a multiple of 4 KiB", opt, arg, what);
    }
    return v;
}

static uint32_t parse_range(int opt, const char *arg, const char *what,
                            uint64_t min, uint64_t max)
{
    uint64_t v;

    if (!parse_number(arg, false, &v) || v < min || v > max) {
        if (max > 0xffff) {
            die("-%c %s: %s must be %" PRIu64 "..%" PRIu64,
                opt, arg, what, min, max);
        }
        die("-%c %s: %s must be 0x%" PRIx64 "..0x%" PRIx64
            " (0x-hex or decimal)", opt, arg, what, min, max);
    }
    return v;
}

static char *make_absolute(const char *path)
{
    char cwd[PATH_MAX];
    char *res;

    if (path[0] == '/') {
        res = strdup(path);
    } else {
        if (!getcwd(cwd, sizeof(cwd))) {
            die("getcwd: %s", strerror(errno));
        }
        if (asprintf(&res, "%s/%s", cwd, path) < 0) {
            res = NULL;
        }
    }
    if (!res) {
        die("out of memory");
    }
    return res;
}

static void parse_args(int argc, char *argv[])
{
    int c;
    char opts[3] = "-?";

    opterr = 0;
    while ((c = getopt(argc, argv, ":S:M:m:n:V:P:r:o:l:Fp:vh")) != -1) {
        switch (c) {
        case 'S':
            srv.socket_path = optarg;
            break;
        case 'M':
            srv.shm_name = optarg;
            break;
        case 'm':
            srv.mem_path = optarg;
            break;
        case 'n':
            srv.max_peers = parse_range(c, optarg, "max peers",
                                        MIN_PEERS, MAX_PEERS);
            break;
        case 'V':
            srv.vectors = parse_range(c, optarg, "vectors", 1, MAX_VECTORS);
            break;
        case 'P':
            srv.protocol = parse_range(c, optarg, "protocol", 0, 0xffff);
            break;
        case 'r':
            srv.rw_size = parse_size(c, optarg, "R/W section size");
            srv.rw_given = true;
            break;
        case 'o':
            srv.out_size = parse_size(c, optarg, "output section size");
            break;
        case 'l':
            srv.total_size = parse_size(c, optarg, "total size");
            srv.total_given = true;
            break;
        case 'F':
            srv.foreground = true;
            break;
        case 'p':
            srv.pid_path = optarg;
            break;
        case 'v':
            srv.verbose = true;
            break;
        case 'h':
            usage();
            exit(0);
        case ':':
            opts[1] = optopt;
            die("%s: option needs an argument (try -h)", opts);
        default:
            opts[1] = optopt;
            die("%s: unknown option (try -h)", opts);
        }
    }
    if (optind < argc) {
        die("%s: unexpected argument (try -h)", argv[optind]);
    }
    if (srv.shm_name && srv.mem_path) {
        die("-M and -m are mutually exclusive");
    }
    if (!srv.mem_path && !srv.shm_name) {
        srv.shm_name = DEFAULT_SHM_NAME;
    }
    if (srv.shm_name && (!srv.shm_name[0] || strlen(srv.shm_name) > NAME_MAX ||
                         strchr(srv.shm_name + 1, '/'))) {
        die("-M %s: invalid POSIX shared memory name", srv.shm_name);
    }
    if (srv.mem_path && !srv.mem_path[0]) {
        die("-m: empty path");
    }
    if (srv.rw_given && srv.total_given) {
        die("-l and -r are mutually exclusive");
    }
    if (!srv.socket_path[0] || strlen(srv.socket_path) > SUN_PATH_MAX) {
        die("-S %s: socket path must be 1..%zu bytes", srv.socket_path,
            SUN_PATH_MAX);
    }
    if (srv.pid_path && !srv.pid_path[0]) {
        die("-p: empty path");
    }
    if (srv.protocol >= VIRTIO_PROTOCOL && srv.max_peers != 2) {
        die("-P 0x%x: virtio protocols need exactly 2 peers, not -n %u",
            srv.protocol, srv.max_peers);
    }
}

/* Compute the layout: state table | R/W section | max_peers output sections */
static void compute_layout(void)
{
    uint64_t outputs, sum;

    srv.state_size = (4ULL * srv.max_peers + SECTION_ALIGN - 1) &
                     ~(SECTION_ALIGN - 1);
    if (__builtin_mul_overflow((uint64_t)srv.max_peers, srv.out_size,
                               &outputs) ||
        __builtin_add_overflow(outputs, srv.state_size, &sum)) {
        die("shared memory size overflows (%u output sections of %" PRIu64
            " bytes)", srv.max_peers, srv.out_size);
    }
    if (srv.total_given) {
        if (srv.total_size < sum) {
            die("-l %" PRIu64 ": too small for the state table (%" PRIu64
                ") and %u output sections of %" PRIu64 " bytes",
                srv.total_size, srv.state_size, srv.max_peers, srv.out_size);
        }
        srv.rw_size = srv.total_size - sum;
    } else if (__builtin_add_overflow(sum, srv.rw_size, &srv.total_size)) {
        die("shared memory size overflows");
    }
    if (srv.total_size > (uint64_t)INT64_MAX) {
        die("shared memory size %" PRIu64 " is too large", srv.total_size);
    }
}

static void setup_memory(void)
{
    struct stat st;
    struct statfs sfs;
    const char *what;

    if (srv.shm_name) {
        what = srv.shm_name;
        /*
         * A new object, never the old one: guests of a server that was
         * killed (which leaves its object behind) may still map it, and
         * truncating it would pull their memory away.
         */
        if (shm_unlink(srv.shm_name) < 0 && errno != ENOENT) {
            die("-M %s: shm_unlink: %s", what, strerror(errno));
        }
        srv.shm_fd = shm_open(srv.shm_name, O_RDWR | O_CREAT | O_EXCL |
                              O_CLOEXEC, 0600);
        if (srv.shm_fd < 0) {
            die("-M %s: shm_open: %s", what, strerror(errno));
        }
        srv.shm_created = true;
    } else if (stat(srv.mem_path, &st) == 0 && S_ISDIR(st.st_mode)) {
        char *tmpl;

        what = srv.mem_path;
        if (asprintf(&tmpl, "%s/ivshmem2.XXXXXX", srv.mem_path) < 0) {
            die("out of memory");
        }
        srv.shm_fd = mkostemp(tmpl, O_CLOEXEC);
        if (srv.shm_fd < 0) {
            die("-m %s: cannot create a file: %s", what, strerror(errno));
        }
        unlink(tmpl);
        free(tmpl);
    } else {
        what = srv.mem_path;
        /* a new file, for the same reason as with -M */
        if (lstat(srv.mem_path, &st) == 0 && S_ISREG(st.st_mode) &&
            unlink(srv.mem_path) < 0) {
            die("-m %s: cannot replace: %s", what, strerror(errno));
        }
        srv.shm_fd = open(srv.mem_path, O_RDWR | O_CREAT | O_TRUNC |
                          O_CLOEXEC, 0600);
        if (srv.shm_fd < 0) {
            die("-m %s: %s", what, strerror(errno));
        }
        if (fstat(srv.shm_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
            die("-m %s: not a regular file or directory", what);
        }
    }

    /* hugetlbfs: whole huge pages only; the R/W section absorbs the rest */
    if (fstatfs(srv.shm_fd, &sfs) == 0 &&
        (uint32_t)sfs.f_type == HUGETLBFS_MAGIC_NR && sfs.f_bsize > 0) {
        uint64_t hp = sfs.f_bsize;
        uint64_t rounded = (srv.total_size + hp - 1) / hp * hp;

        if (rounded < srv.total_size || rounded > (uint64_t)INT64_MAX) {
            die("shared memory size overflows");
        }
        srv.rw_size += rounded - srv.total_size;
        srv.total_size = rounded;
        srv.state_map_len = (srv.state_size + hp - 1) / hp * hp;
    } else {
        srv.state_map_len = srv.state_size;
    }

    if (ftruncate(srv.shm_fd, srv.total_size) < 0) {
        die("%s: cannot size to %" PRIu64 " bytes: %s", what, srv.total_size,
            strerror(errno));
    }
    srv.state = mmap(NULL, srv.state_map_len, PROT_READ | PROT_WRITE,
                     MAP_SHARED, srv.shm_fd, 0);
    if (srv.state == MAP_FAILED) {
        die("%s: mmap: %s", what, strerror(errno));
    }
}

static void setup_socket(void)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    struct stat st;
    int fd;

    strcpy(sun.sun_path, srv.socket_path);

    /* remove a stale socket, but never one a live server listens on */
    if (lstat(srv.socket_path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            die("-S %s: exists and is not a socket", srv.socket_path);
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
            die("-S %s: another server is listening there", srv.socket_path);
        }
        if (fd >= 0) {
            close(fd);
        }
        unlink(srv.socket_path);
    }

    srv.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                           0);
    if (srv.listen_fd < 0) {
        die("socket: %s", strerror(errno));
    }
    if (bind(srv.listen_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        die("-S %s: bind: %s", srv.socket_path, strerror(errno));
    }
    srv.socket_bound = true;
    if (listen(srv.listen_fd, 16) < 0) {
        die("-S %s: listen: %s", srv.socket_path, strerror(errno));
    }
}

static void write_pidfile(void)
{
    char buf[32];
    int fd, len;

    if (!srv.pid_path) {
        return;
    }
    fd = open(srv.pid_abs, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        die("-p %s: %s", srv.pid_path, strerror(errno));
    }
    len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (write(fd, buf, len) != len || close(fd) < 0) {
        die("-p %s: write failed", srv.pid_path);
    }
    srv.pid_written = true;
}

/*
 * Daemonize. The parent returns only when the daemon has written its
 * pidfile, so that the file exists once the command returns; it exits 1
 * if the daemon failed.
 */
static void daemonize(void)
{
    int pipefd[2], nullfd;
    pid_t pid;
    char c = 0;

    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        die("pipe: %s", strerror(errno));
    }
    pid = fork();
    if (pid < 0) {
        die("fork: %s", strerror(errno));
    }
    if (pid > 0) {
        close(pipefd[1]);
        while (read(pipefd[0], &c, 1) < 0 && errno == EINTR) {
            continue;
        }
        _exit(c == 1 ? 0 : 1);
    }
    close(pipefd[0]);
    setsid();
    pid = fork();
    if (pid < 0) {
        die("fork: %s", strerror(errno));
    }
    if (pid > 0) {
        _exit(0);
    }
    if (chdir("/") < 0) {
        die("chdir /: %s", strerror(errno));
    }
    umask(022);
    write_pidfile();
    openlog(PROG, LOG_PID, LOG_DAEMON);
    nullfd = open("/dev/null", O_RDWR);
    if (nullfd >= 0) {
        dup2(nullfd, STDIN_FILENO);
        dup2(nullfd, STDOUT_FILENO);
        dup2(nullfd, STDERR_FILENO);
        if (nullfd > STDERR_FILENO) {
            close(nullfd);
        }
    }
    c = 1;
    if (write(pipefd[1], &c, 1) != 1) {
        _exit(1);
    }
    close(pipefd[1]);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Send one message (and optionally one fd) to a peer. The socket is
 * non-blocking; a message waits at most SEND_TIMEOUT_MS for buffer space.
 * On failure or timeout the peer is marked dead and dropped later.
 */
static void peer_send(Peer *p, uint32_t id, const uint8_t *buf, size_t len,
                      int fd)
{
    int64_t deadline = now_ms() + SEND_TIMEOUT_MS;
    size_t off = 0;

    if (p->dead) {
        return;
    }
    while (off < len) {
        union {
            struct cmsghdr hdr;
            char buf[CMSG_SPACE(sizeof(int))];
        } cm;
        struct iovec iov = {
            .iov_base = (void *)(buf + off),
            .iov_len = len - off,
        };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        struct pollfd pfd = { .fd = p->sock, .events = POLLOUT };
        ssize_t n;
        int64_t left;

        if (fd >= 0 && off == 0) {
            struct cmsghdr *cmsg;

            memset(&cm, 0, sizeof(cm));
            msg.msg_control = cm.buf;
            msg.msg_controllen = sizeof(cm.buf);
            cmsg = CMSG_FIRSTHDR(&msg);
            cmsg->cmsg_level = SOL_SOCKET;
            cmsg->cmsg_type = SCM_RIGHTS;
            cmsg->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
        }
        n = sendmsg(p->sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
            off += n;
            continue;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            log_msg(LOG_DEBUG, "peer %u: send failed: %s", id,
                    strerror(errno));
            break;
        }
        left = deadline - now_ms();
        if (left <= 0 || poll(&pfd, 1, left) == 0) {
            log_msg(LOG_WARNING, "peer %u does not read its socket, "
                    "dropping it", id);
            break;
        }
    }
    if (off < len) {
        p->dead = true;
        srv.ndead++;
    }
}

static void put_le32(uint8_t *b, uint32_t v)
{
    b[0] = v;
    b[1] = v >> 8;
    b[2] = v >> 16;
    b[3] = v >> 24;
}

static void put_header(uint8_t *b, uint32_t type, uint32_t len)
{
    put_le32(b, type);
    put_le32(b + 4, len);
}

static uint32_t protocol_for(uint32_t id)
{
    if (srv.protocol < VIRTIO_PROTOCOL) {
        return srv.protocol;
    }
    return id == 0 ? (srv.protocol | VIRTIO_BACKEND) :
                     (srv.protocol & ~VIRTIO_BACKEND);
}

static void send_init(uint32_t id)
{
    uint8_t b[MSG_INIT_LEN];

    put_header(b, MSG_INIT, sizeof(b));
    put_le32(b + 8, IVSHMEM2_PROTOCOL_VERSION);
    put_le32(b + 12, IVSHMEM2_PROTOCOL_VERSION);
    put_le32(b + 16, id);
    put_le32(b + 20, srv.max_peers);
    put_le32(b + 24, srv.vectors);
    put_le32(b + 28, protocol_for(id));
    put_le32(b + 32, srv.out_size);
    put_le32(b + 36, srv.out_size >> 32);
    peer_send(srv.peers[id], id, b, sizeof(b), srv.shm_fd);
}

/* Send @to_id the eventfds of all vectors of peer @id */
static void send_event_fds(uint32_t to_id, uint32_t id)
{
    Peer *to = srv.peers[to_id];
    uint8_t b[MSG_EVENT_FD_LEN];
    uint32_t v;

    for (v = 0; v < srv.vectors && !to->dead; v++) {
        put_header(b, MSG_EVENT_FD, sizeof(b));
        put_le32(b + 8, id);
        put_le32(b + 12, v);
        peer_send(to, to_id, b, sizeof(b), srv.peers[id]->efd[v]);
    }
}

static void send_peer_gone(uint32_t to_id, uint32_t id)
{
    uint8_t b[MSG_PEER_GONE_LEN];

    put_header(b, MSG_PEER_GONE, sizeof(b));
    put_le32(b + 8, id);
    peer_send(srv.peers[to_id], to_id, b, sizeof(b), -1);
}

static void free_peer(uint32_t id)
{
    Peer *p = srv.peers[id];
    uint32_t v;

    epoll_ctl(srv.epoll_fd, EPOLL_CTL_DEL, p->sock, NULL);
    close(p->sock);
    for (v = 0; v < srv.vectors; v++) {
        if (p->efd[v] >= 0) {
            close(p->efd[v]);
        }
    }
    if (p->dead) {
        srv.ndead--;
    }
    free(p->efd);
    free(p);
    srv.peers[id] = NULL;
}

/* A peer left: zero its state, forget it, tell the others */
static void remove_peer(uint32_t id)
{
    uint32_t i;

    __atomic_store_n(&srv.state[id], 0, __ATOMIC_SEQ_CST);
    free_peer(id);
    log_msg(LOG_INFO, "peer %u left", id);
    for (i = 0; i < srv.max_peers; i++) {
        if (srv.peers[i] && !srv.peers[i]->dead) {
            send_peer_gone(i, id);
        }
    }
}

/* Remove peers marked dead; removing one may mark others dead */
static void reap_dead(void)
{
    uint32_t i;

    while (srv.ndead) {
        for (i = 0; i < srv.max_peers; i++) {
            if (srv.peers[i] && srv.peers[i]->dead) {
                remove_peer(i);
                break;
            }
        }
    }
}

static int accept_client(void)
{
    int fd;

    fd = accept4(srv.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE) && srv.spare_fd >= 0) {
        /* out of fds: accept and close the connection, don't spin */
        close(srv.spare_fd);
        fd = accept(srv.listen_fd, NULL, NULL);
        if (fd >= 0) {
            close(fd);
            log_msg(LOG_WARNING, "out of file descriptors, "
                    "refused a connection");
        }
        srv.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        return -1;
    }
    if (fd < 0 && errno != EAGAIN && errno != EINTR &&
        errno != ECONNABORTED) {
        log_msg(LOG_WARNING, "accept: %s", strerror(errno));
    }
    return fd;
}

static void handle_connect(void)
{
    struct epoll_event ev = { .events = EPOLLIN };
    uint32_t id, i, v;
    Peer *p;
    int fd;

    fd = accept_client();
    if (fd < 0) {
        return;
    }
    for (id = 0; id < srv.max_peers && srv.peers[id]; id++) {
        continue;
    }
    if (id == srv.max_peers) {
        log_msg(LOG_INFO, "connection refused: all %u peer IDs in use",
                srv.max_peers);
        close(fd);
        return;
    }

    p = calloc(1, sizeof(*p));
    if (p) {
        p->efd = calloc(srv.vectors, sizeof(int));
    }
    if (!p || !p->efd) {
        log_msg(LOG_WARNING, "out of memory, connection refused");
        free(p);
        close(fd);
        return;
    }
    p->sock = fd;
    srv.peers[id] = p;
    for (v = 0; v < srv.vectors; v++) {
        p->efd[v] = -1;
    }
    for (v = 0; v < srv.vectors; v++) {
        p->efd[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (p->efd[v] < 0) {
            break;
        }
    }
    ev.data.u64 = id;
    if (v < srv.vectors ||
        epoll_ctl(srv.epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        log_msg(LOG_WARNING, "peer %u: cannot set up: %s, "
                "connection refused", id, strerror(errno));
        free_peer(id);
        return;
    }

    send_init(id);
    if (p->dead) {
        log_msg(LOG_DEBUG, "peer %u: INIT failed, dropped", id);
        free_peer(id);
        return;
    }
    /* the new peer's eventfds to every existing peer */
    for (i = 0; i < srv.max_peers; i++) {
        if (i != id && srv.peers[i] && !srv.peers[i]->dead) {
            send_event_fds(i, id);
        }
    }
    /* every existing peer's eventfds to the new peer */
    for (i = 0; i < srv.max_peers; i++) {
        if (i != id && srv.peers[i] && !srv.peers[i]->dead) {
            send_event_fds(id, i);
        }
    }
    /* its own eventfds last */
    send_event_fds(id, id);

    log_msg(LOG_INFO, "peer %u connected", id);
    reap_dead();
}

static void handle_peer_event(uint32_t id)
{
    Peer *p = id < srv.max_peers ? srv.peers[id] : NULL;
    char buf[256];
    ssize_t n;

    if (!p || p->dead) {
        return;
    }
    n = recv(p->sock, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                  errno == EINTR)) {
        return;     /* stale event */
    }
    if (n > 0) {
        log_msg(LOG_DEBUG, "peer %u sent data, dropping it", id);
    }
    p->dead = true;
    srv.ndead++;
    reap_dead();
}

static void setup_signals(void)
{
    struct sigaction sa = { .sa_handler = SIG_IGN };
    sigset_t set;

    sigaction(SIGPIPE, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
        die("sigprocmask: %s", strerror(errno));
    }
    srv.sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (srv.sig_fd < 0) {
        die("signalfd: %s", strerror(errno));
    }
}

static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void cleanup(void)
{
    uint32_t i;

    for (i = 0; srv.peers && i < srv.max_peers; i++) {
        if (srv.peers[i]) {
            free_peer(i);
        }
    }
    if (srv.socket_bound) {
        unlink(srv.socket_abs);
    }
    if (srv.shm_created) {
        shm_unlink(srv.shm_name);
    }
    if (srv.pid_written) {
        unlink(srv.pid_abs);
    }
}

static void run(void)
{
    struct epoll_event ev[64];
    bool quit = false;
    int n, i;

    while (!quit) {
        n = epoll_wait(srv.epoll_fd, ev, 64, -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            log_msg(LOG_ERR, "epoll_wait: %s", strerror(errno));
            break;
        }
        for (i = 0; i < n && !quit; i++) {
            if (ev[i].data.u64 == TOKEN_LISTEN) {
                handle_connect();
            } else if (ev[i].data.u64 == TOKEN_SIGNAL) {
                struct signalfd_siginfo si;

                if (read(srv.sig_fd, &si, sizeof(si)) == sizeof(si)) {
                    log_msg(LOG_DEBUG, "signal %u, exiting", si.ssi_signo);
                    quit = true;
                }
            } else {
                handle_peer_event(ev[i].data.u64);
            }
        }
    }
}

int main(int argc, char *argv[])
{
    struct epoll_event ev = { .events = EPOLLIN };

    setvbuf(stdout, NULL, _IOLBF, 0);
    parse_args(argc, argv);
    compute_layout();

    srv.socket_abs = make_absolute(srv.socket_path);
    if (srv.pid_path) {
        srv.pid_abs = make_absolute(srv.pid_path);
    }
    srv.peers = calloc(srv.max_peers, sizeof(*srv.peers));
    if (!srv.peers) {
        die("out of memory");
    }
    raise_fd_limit();
    setup_signals();
    setup_memory();
    setup_socket();

    if (srv.foreground) {
        write_pidfile();
    } else {
        daemonize();
    }

    srv.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    srv.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (srv.epoll_fd < 0) {
        log_msg(LOG_ERR, "epoll_create1: %s", strerror(errno));
        cleanup();
        return 1;
    }
    ev.data.u64 = TOKEN_LISTEN;
    epoll_ctl(srv.epoll_fd, EPOLL_CTL_ADD, srv.listen_fd, &ev);
    ev.data.u64 = TOKEN_SIGNAL;
    epoll_ctl(srv.epoll_fd, EPOLL_CTL_ADD, srv.sig_fd, &ev);

    log_msg(LOG_DEBUG, "%s: %" PRIu64 " bytes: state table %" PRIu64
            ", R/W section %" PRIu64 ", %u output sections of %" PRIu64,
            srv.shm_name ? srv.shm_name : srv.mem_path, srv.total_size,
            srv.state_size, srv.rw_size, srv.max_peers, srv.out_size);
    log_msg(LOG_DEBUG, "max peers %u, vectors %u, protocol 0x%04x",
            srv.max_peers, srv.vectors, srv.protocol);
    log_msg(LOG_INFO, "listening on %s", srv.socket_path);

    run();
    cleanup();
    return 0;
}
