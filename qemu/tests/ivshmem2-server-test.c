/*
 * Host-side tests of the IVSHMEM v2 interconnect server
 *
 * Acts as fake device models over the server's UNIX socket and checks the
 * wire protocol, the shared memory layout and the process behaviour.
 * Usage: ivshmem2-server-test <path-to-ivshmem2-server>
 * Output is TAP: one "ok N - name" / "not ok N - name" per group.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define _GNU_SOURCE
#include <dirent.h>
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
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#define MSG_INIT        0
#define MSG_EVENT_FD    1
#define MSG_PEER_GONE   2

#define PREFIX          "ivshmem2-server: "
#define RECV_TIMEOUT_S  12
#define MAX_ARGS        32

typedef struct Msg {
    uint32_t type;
    uint32_t len;
    uint8_t body[64];
    int fd;
} Msg;

typedef struct Srv {
    pid_t pid;
    int out;
    char sock[PATH_MAX];
    char shm[64];
    char buf[16384];
    size_t blen;
} Srv;

static const char *server_bin;
static char tmpdir[] = "/tmp/ivshmem2-server-test.XXXXXX";
static int test_no;
static int n_passed;
static int n_failed;
static bool group_failed;
static int shm_counter;

#define CHECK(cond, ...) check((cond), #cond, __LINE__, __VA_ARGS__)

static bool __attribute__((format(printf, 4, 5)))
check(bool ok, const char *expr, int line, const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        return true;
    }
    group_failed = true;
    printf("# line %d: %s failed: ", line, expr);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    return false;
}

static void begin_group(void)
{
    group_failed = false;
}

static void end_group(const char *name)
{
    test_no++;
    if (group_failed) {
        n_failed++;
        printf("not ok %d - %s\n", test_no, name);
    } else {
        n_passed++;
        printf("ok %d - %s\n", test_no, name);
    }
    fflush(stdout);
}

static void skip_group(const char *name, const char *why)
{
    test_no++;
    n_passed++;
    printf("ok %d - %s # SKIP %s\n", test_no, name, why);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t le32(const uint8_t *b)
{
    return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64(const uint8_t *b)
{
    return le32(b) | (uint64_t)le32(b + 4) << 32;
}

static void tpath(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", tmpdir, name);
}

static int count_fds(pid_t pid)
{
    char path[64];
    struct dirent *de;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    d = opendir(path);
    if (!d) {
        return -1;
    }
    while ((de = readdir(d))) {
        if (de->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n;
}

static bool is_eventfd(int fd)
{
    char path[64], target[64];
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    n = readlink(path, target, sizeof(target) - 1);
    if (n < 0) {
        return false;
    }
    target[n] = 0;
    return strcmp(target, "anon_inode:[eventfd]") == 0;
}

/* ---- server process handling ---- */

/* Start a foreground server; returns false if it did not start listening */
static bool srv_start_argv(Srv *s, const char **extra)
{
    const char *argv[MAX_ARGS];
    bool has_mem = false;
    int pipefd[2], argc = 0, i;
    char want[PATH_MAX + 64];
    int64_t deadline;

    memset(s, 0, sizeof(*s));
    s->pid = -1;
    s->out = -1;
    tpath(s->sock, sizeof(s->sock), "sock");
    snprintf(s->shm, sizeof(s->shm), "/ivshmem2-test-%d-%d", (int)getpid(),
             shm_counter++);

    argv[argc++] = server_bin;
    argv[argc++] = "-F";
    argv[argc++] = "-S";
    argv[argc++] = s->sock;
    for (i = 0; extra[i]; i++) {
        if (!strcmp(extra[i], "-m") || !strcmp(extra[i], "-M")) {
            has_mem = true;
        }
    }
    if (!has_mem) {
        argv[argc++] = "-M";
        argv[argc++] = s->shm;
    } else {
        s->shm[0] = 0;
    }
    for (i = 0; extra[i] && argc < MAX_ARGS - 1; i++) {
        argv[argc++] = extra[i];
    }
    argv[argc] = NULL;

    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        return false;
    }
    s->pid = fork();
    if (s->pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        execv(server_bin, (char **)argv);
        _exit(127);
    }
    close(pipefd[1]);
    s->out = pipefd[0];
    if (s->pid < 0) {
        return false;
    }

    snprintf(want, sizeof(want), PREFIX "listening on %s", s->sock);
    deadline = now_ms() + 5000;
    for (;;) {
        char *nl;
        struct pollfd pfd = { .fd = s->out, .events = POLLIN };
        int64_t left;
        ssize_t n;

        while ((nl = memchr(s->buf, '\n', s->blen))) {
            bool found;

            *nl = 0;
            found = !strcmp(s->buf, want);
            s->blen -= nl + 1 - s->buf;
            memmove(s->buf, nl + 1, s->blen);
            if (found) {
                return true;
            }
        }
        left = deadline - now_ms();
        if (left <= 0 || poll(&pfd, 1, left) <= 0) {
            return false;
        }
        n = read(s->out, s->buf + s->blen, sizeof(s->buf) - s->blen - 1);
        if (n <= 0) {
            return false;
        }
        s->blen += n;
    }
}

/* Start a foreground server with extra options (NULL-terminated) */
static bool __attribute__((sentinel)) srv_start(Srv *s, ...)
{
    const char *args[MAX_ARGS];
    va_list ap;
    int n = 0;

    va_start(ap, s);
    while (n < MAX_ARGS - 1 && (args[n] = va_arg(ap, const char *))) {
        n++;
    }
    args[n] = NULL;
    va_end(ap);
    return srv_start_argv(s, args);
}

/* Wait until the server prints PREFIX @text on a line of its own */
static bool srv_wait_line(Srv *s, const char *text, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    char want[256];

    snprintf(want, sizeof(want), PREFIX "%s", text);
    for (;;) {
        char *nl;
        struct pollfd pfd = { .fd = s->out, .events = POLLIN };
        int64_t left;
        ssize_t n;

        while ((nl = memchr(s->buf, '\n', s->blen))) {
            bool found;

            *nl = 0;
            found = !strcmp(s->buf, want);
            s->blen -= nl + 1 - s->buf;
            memmove(s->buf, nl + 1, s->blen);
            if (found) {
                return true;
            }
        }
        if (s->blen >= sizeof(s->buf) - 1) {
            s->blen = 0;
        }
        left = deadline - now_ms();
        if (left <= 0 || poll(&pfd, 1, left) <= 0) {
            return false;
        }
        n = read(s->out, s->buf + s->blen, sizeof(s->buf) - s->blen - 1);
        if (n <= 0) {
            return false;
        }
        s->blen += n;
    }
}

/* Wait for a child with a timeout; returns the wait status or -1 */
static int wait_child(pid_t pid, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    int status;

    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r == pid) {
            return status;
        }
        if (r < 0 || now_ms() > deadline) {
            /* SIGTERM first so that a server cleans up after itself */
            kill(pid, SIGTERM);
            usleep(200000);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        usleep(10000);
    }
}

/* Stop the server with @sig; returns its wait status (-1 if it hung) */
static int srv_stop(Srv *s, int sig)
{
    int status = -1;

    if (s->pid > 0) {
        kill(s->pid, sig);
        status = wait_child(s->pid, 5000);
        s->pid = -1;
    }
    if (s->out >= 0) {
        close(s->out);
        s->out = -1;
    }
    return status;
}

/*
 * Run the server with @argv (NULL-terminated, without the binary) and
 * capture stderr; for refusals. Returns the wait status, -1 on timeout.
 */
static int run_capture(const char **args, char *err, size_t errsize)
{
    const char *argv[MAX_ARGS];
    int pipefd[2], argc = 0, status, nullfd;
    size_t len = 0;
    pid_t pid;

    argv[argc++] = server_bin;
    while (*args && argc < MAX_ARGS - 1) {
        argv[argc++] = *args++;
    }
    argv[argc] = NULL;
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        nullfd = open("/dev/null", O_WRONLY);
        dup2(nullfd, STDOUT_FILENO);
        dup2(pipefd[1], STDERR_FILENO);
        execv(server_bin, (char **)argv);
        _exit(127);
    }
    close(pipefd[1]);
    status = wait_child(pid, 5000);
    for (;;) {
        ssize_t n;
        struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };

        if (len >= errsize - 1 || poll(&pfd, 1, 100) <= 0) {
            break;
        }
        n = read(pipefd[0], err + len, errsize - 1 - len);
        if (n <= 0) {
            break;
        }
        len += n;
    }
    err[len] = 0;
    close(pipefd[0]);
    return status;
}

/* ---- fake clients ---- */

static int client_connect(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    struct timeval tv = { .tv_sec = RECV_TIMEOUT_S };
    int fd;

    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * Receive one message: header (with the fd, if any), then the body.
 * Returns 1 on success, 0 on EOF, -1 on error or timeout.
 */
static int recv_msg(int sock, Msg *m)
{
    union {
        struct cmsghdr hdr;
        char buf[CMSG_SPACE(sizeof(int))];
    } cm;
    uint8_t hdr[8];
    struct iovec iov = { .iov_base = hdr, .iov_len = sizeof(hdr) };
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = cm.buf,
        .msg_controllen = sizeof(cm.buf),
    };
    struct cmsghdr *cmsg;
    size_t got = 0;
    ssize_t n;

    memset(m, 0, sizeof(*m));
    m->fd = -1;
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0) {
        return n == 0 ? 0 : -1;
    }
    for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
            memcpy(&m->fd, CMSG_DATA(cmsg), sizeof(int));
        }
    }
    got = n;
    while (got < sizeof(hdr)) {
        n = recv(sock, hdr + got, sizeof(hdr) - got, 0);
        if (n <= 0) {
            return -1;
        }
        got += n;
    }
    m->type = le32(hdr);
    m->len = le32(hdr + 4);
    if (m->len < 8) {
        return -1;
    }
    got = 0;
    while (got < m->len - 8) {
        uint8_t junk[64];
        size_t want = m->len - 8 - got;
        uint8_t *dst = got < sizeof(m->body) ? m->body + got : junk;

        if (got < sizeof(m->body) && want > sizeof(m->body) - got) {
            want = sizeof(m->body) - got;
        }
        if (want > sizeof(junk)) {
            want = sizeof(junk);
        }
        n = recv(sock, dst, want, 0);
        if (n <= 0) {
            return -1;
        }
        got += n;
    }
    return 1;
}

/* True if nothing arrives on @sock within @ms */
static bool quiet(int sock, int ms)
{
    struct pollfd pfd = { .fd = sock, .events = POLLIN };

    return poll(&pfd, 1, ms) == 0;
}

typedef struct Init {
    uint32_t version, compat, id, max_peers, vectors, protocol;
    uint64_t out_size;
    int fd;
} Init;

/* Receive and check the header of INIT; returns false on failure */
static bool get_init(int sock, Init *in)
{
    Msg m;
    int r = recv_msg(sock, &m);

    memset(in, 0, sizeof(*in));
    in->fd = -1;
    if (!CHECK(r == 1, "recv INIT: %d", r) ||
        !CHECK(m.type == MSG_INIT, "type %u", m.type) ||
        !CHECK(m.len == 40, "INIT len %u", m.len) ||
        !CHECK(m.fd >= 0, "no fd with INIT")) {
        if (m.fd >= 0) {
            close(m.fd);
        }
        return false;
    }
    in->version = le32(m.body);
    in->compat = le32(m.body + 4);
    in->id = le32(m.body + 8);
    in->max_peers = le32(m.body + 12);
    in->vectors = le32(m.body + 16);
    in->protocol = le32(m.body + 20);
    in->out_size = le64(m.body + 24);
    in->fd = m.fd;
    CHECK(in->version == 2, "version %u", in->version);
    CHECK(in->compat == 2, "compatible_version %u", in->compat);
    return true;
}

/* Expect INIT with @id (and @protocol unless ~0), close its fd */
static bool expect_init(int sock, uint32_t id, uint32_t protocol)
{
    Init in;
    bool ok;

    if (!get_init(sock, &in)) {
        return false;
    }
    close(in.fd);
    ok = CHECK(in.id == id, "got id %u, want %u", in.id, id);
    if (protocol != ~0u) {
        ok &= CHECK(in.protocol == protocol, "peer %u: protocol 0x%x, "
                    "want 0x%x", in.id, in.protocol, protocol);
    }
    return ok;
}

/* Expect EVENT_FD {id, vector}; returns its fd or -1 */
static int get_event_fd(int sock, uint32_t id, uint32_t vector)
{
    Msg m;
    int r = recv_msg(sock, &m);

    if (!CHECK(r == 1, "recv EVENT_FD(%u,%u): %d", id, vector, r)) {
        return -1;
    }
    if (!CHECK(m.type == MSG_EVENT_FD && m.len == 16 &&
               le32(m.body) == id && le32(m.body + 4) == vector &&
               m.fd >= 0,
               "want EVENT_FD(%u,%u), got type %u len %u (%u,%u) fd %d",
               id, vector, m.type, m.len, le32(m.body), le32(m.body + 4),
               m.fd)) {
        if (m.fd >= 0) {
            close(m.fd);
        }
        return -1;
    }
    CHECK(is_eventfd(m.fd), "fd %d is not an eventfd", m.fd);
    return m.fd;
}

/* Expect PEER_GONE {id} */
static bool get_peer_gone(int sock, uint32_t id)
{
    Msg m;
    int r = recv_msg(sock, &m);

    if (m.fd >= 0) {
        close(m.fd);
    }
    return CHECK(r == 1 && m.type == MSG_PEER_GONE && m.len == 12 &&
                 le32(m.body) == id && m.fd < 0,
                 "want PEER_GONE(%u), got r %d type %u len %u id %u fd %d",
                 id, r, m.type, m.len, le32(m.body), m.fd);
}

/* Receive @n EVENT_FDs of peer @id (vectors 0..n-1), close them */
static bool drain_event_fds(int sock, uint32_t id, uint32_t n)
{
    uint32_t v;

    for (v = 0; v < n; v++) {
        int fd = get_event_fd(sock, id, v);

        if (fd < 0) {
            return false;
        }
        close(fd);
    }
    return true;
}

static off_t fd_size(int fd)
{
    struct stat st;

    return fstat(fd, &st) < 0 ? -1 : st.st_size;
}

/* ---- tests ---- */

static void test_option_refusals(void)
{
    static const char *const cases[][6] = {
        { "-n", "1" },
        { "-n", "65537" },
        { "-n", "abc" },
        { "-n", "" },
        { "-V", "0" },
        { "-V", "1025" },
        { "-P", "0x10000" },
        { "-P", "-1" },
        { "-P", "12z" },
        { "-r", "5000" },
        { "-r", "4Q" },
        { "-r", "99999999999999999999" },
        { "-o", "1K" },
        { "-o", "16E" },
        { "-l", "1M", "-r", "8K" },
        { "-l", "64K" },
        { "-l", "1M", "-o", "1M" },
        { "-l", "6K" },
        { "-n", "65536", "-o", "1000000G" },
        { "-P", "0x8001", "-n", "3" },
        { "-P", "0xc001", "-n", "65536" },
        { "-z" },
        { "-r" },
        { "extra" },
        { "-M", "/a", "-m", "/tmp/b" },
        { "-m", "/nonexistent-ivshmem2/x/y" },
        { "-S", "/tmp/ivshmem2-test-0123456789012345678901234567890123456789"
                "0123456789012345678901234567890123456789012345678901234567"
                "89" },
        { "-S", "NOTASOCK" },
        { "-S", "" },
    };
    char sock[PATH_MAX], notsock[PATH_MAX], shm[64], err[2048];
    const char *args[MAX_ARGS];
    size_t i;
    int fd, status;

    begin_group();
    tpath(sock, sizeof(sock), "refuse.sock");
    tpath(notsock, sizeof(notsock), "notasock");
    fd = open(notsock, O_CREAT | O_WRONLY, 0600);
    close(fd);
    snprintf(shm, sizeof(shm), "/ivshmem2-test-%d-refuse", (int)getpid());

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *const *c = cases[i];
        bool mem = false, sockopt = false;
        char shown[256] = "";
        int argc = 0, j;

        args[argc++] = "-F";
        for (j = 0; j < 6 && c[j]; j++) {
            mem |= !strcmp(c[j], "-m") || !strcmp(c[j], "-M");
            sockopt |= !strcmp(c[j], "-S");
            snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown),
                     " %s", c[j]);
        }
        if (!sockopt) {
            args[argc++] = "-S";
            args[argc++] = sock;
        }
        if (!mem) {
            args[argc++] = "-M";
            args[argc++] = shm;
        }
        for (j = 0; j < 6 && c[j]; j++) {
            args[argc++] = !strcmp(c[j], "NOTASOCK") ? notsock : c[j];
        }
        args[argc] = NULL;
        status = run_capture(args, err, sizeof(err));
        CHECK(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 1,
              "'%s': status 0x%x, want exit 1", shown, status);
        CHECK(!strncmp(err, PREFIX, strlen(PREFIX)) &&
              strchr(err, '\n') == err + strlen(err) - 1,
              "'%s': want one '" PREFIX "...' line on stderr, got '%s'",
              shown, err);
        CHECK(access(sock, F_OK) < 0, "'%s': socket was created", shown);
        unlink(sock);
    }
    snprintf(err, sizeof(err), "/dev/shm%s", shm);
    CHECK(access(err, F_OK) < 0, "shm object left behind");

    /* the message names the option and the range */
    args[0] = "-F";
    args[1] = "-S";
    args[2] = sock;
    args[3] = "-M";
    args[4] = shm;
    args[5] = "-n";
    args[6] = "1";
    args[7] = NULL;
    run_capture(args, err, sizeof(err));
    CHECK(!strcmp(err, PREFIX "-n 1: max peers must be 2..65536\n"),
          "-n 1 message '%s'", err);

    args[0] = "-h";
    args[1] = NULL;
    status = run_capture(args, err, sizeof(err));
    CHECK(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "-h: status 0x%x", status);
    unlink(notsock);
    end_group("option parsing refuses bad options with exit 1 and a message");
}

static void check_init_config(const char *name, const char **args,
                              uint32_t max_peers, uint32_t vectors,
                              uint32_t protocol, uint64_t out_size,
                              off_t want_size)
{
    char shm_path[128];
    struct stat st;
    void *map;
    Srv s;
    Init in;
    int c, status;

    begin_group();
    if (!CHECK(srv_start_argv(&s, args), "server did not start")) {
        srv_stop(&s, SIGKILL);
        end_group(name);
        return;
    }
    c = client_connect(s.sock);
    CHECK(c >= 0, "connect: %s", strerror(errno));
    if (c >= 0 && get_init(c, &in)) {
        CHECK(in.id == 0, "id %u", in.id);
        CHECK(in.max_peers == max_peers, "max_peers %u", in.max_peers);
        CHECK(in.vectors == vectors, "vectors %u", in.vectors);
        CHECK(in.protocol == protocol, "protocol 0x%x", in.protocol);
        CHECK(in.out_size == out_size, "output size %" PRIu64, in.out_size);
        CHECK(drain_event_fds(c, 0, vectors), "own EVENT_FDs");
        CHECK(quiet(c, 100), "extra message after the own EVENT_FDs");
        CHECK(fd_size(in.fd) == want_size, "shm size %lld, want %lld",
              (long long)fd_size(in.fd), (long long)want_size);
        map = mmap(NULL, want_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                   in.fd, 0);
        if (CHECK(map != MAP_FAILED, "mmap: %s", strerror(errno))) {
            munmap(map, want_size);
        }
        snprintf(shm_path, sizeof(shm_path), "/dev/shm%s", s.shm);
        CHECK(stat(shm_path, &st) == 0 && fstat(in.fd, &st) == 0,
              "shm object %s missing", shm_path);
        close(in.fd);
    }
    status = srv_stop(&s, SIGTERM);
    CHECK(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "SIGTERM: status 0x%x", status);
    CHECK(access(s.sock, F_OK) < 0, "socket not removed");
    snprintf(shm_path, sizeof(shm_path), "/dev/shm%s", s.shm);
    CHECK(access(shm_path, F_OK) < 0, "shm object not removed");
    if (c >= 0) {
        close(c);
    }
    end_group(name);
}

static void test_init(void)
{
    static const char *none[] = { NULL };
    static const char *custom[] = {
        "-n", "1025", "-V", "3", "-P", "0x4242", "-r", "8K", "-o", "12K", NULL
    };
    static const char *zero[] = {
        "-r", "0", "-o", "0", "-P", "16385", "-V", "1024", "-n", "1024", NULL
    };

    check_init_config("INIT fields, shm fd and size with defaults",
                      none, 2, 2, 0, 65536, 4096 + 65536 + 2 * 65536);
    check_init_config("INIT fields and layout with -n 1025 -V 3 -P 0x4242 "
                      "-r 8K -o 12K", custom, 1025, 3, 0x4242, 12288,
                      8192 + 8192 + 1025 * 12288);
    check_init_config("INIT with -r 0 -o 0 -P 16385 -V 1024 -n 1024", zero,
                      1024, 1024, 16385, 0, 4096);
}

static void test_id_assignment(void)
{
    static const int want[] = { 1, 0, 2, 3 };
    int c[5], i;
    Init in;
    Srv s;

    begin_group();
    if (!CHECK(srv_start(&s, "-n", "4", "-V", "1", NULL),
               "server did not start")) {
        srv_stop(&s, SIGKILL);
        end_group("ID assignment order and reuse of the lowest free ID");
        return;
    }
    for (i = 0; i < 3; i++) {
        c[i] = client_connect(s.sock);
        if (get_init(c[i], &in)) {
            CHECK(in.id == (uint32_t)i, "client %d got id %u", i, in.id);
            close(in.fd);
        }
    }
    close(c[1]);
    CHECK(srv_wait_line(&s, "peer 1 left", 3000), "no 'peer 1 left'");
    close(c[0]);
    CHECK(srv_wait_line(&s, "peer 0 left", 3000), "no 'peer 0 left'");
    close(c[2]);
    CHECK(srv_wait_line(&s, "peer 2 left", 3000), "no 'peer 2 left'");
    /* 0 1 2 free: reconnect one at a time after re-taking 0 and 2 */
    c[0] = client_connect(s.sock);
    expect_init(c[0], 0, ~0u);
    c[4] = client_connect(s.sock);
    expect_init(c[4], 1, ~0u);
    close(c[0]);
    CHECK(srv_wait_line(&s, "peer 0 left", 3000), "no 'peer 0 left'");
    /* now 1 is taken: expect 0, 2, 3 in this order */
    for (i = 1; i < 4; i++) {
        c[i] = client_connect(s.sock);
        if (get_init(c[i], &in)) {
            CHECK(in.id == (uint32_t)want[i], "connection %d got id %u, "
                  "want %d", i, in.id, want[i]);
            close(in.fd);
        }
        CHECK(srv_wait_line(&s, i == 1 ? "peer 0 connected" : i == 2 ?
                            "peer 2 connected" : "peer 3 connected", 3000),
              "no 'connected' line");
    }
    for (i = 1; i < 4; i++) {
        close(c[i]);
    }
    close(c[4]);
    srv_stop(&s, SIGTERM);
    end_group("ID assignment order and reuse of the lowest free ID");
}

#define NP 3
#define NV 3

/*
 * Three peers with three vectors: exact EVENT_FD sequence, then the
 * eventfds must connect the peers, then a leaving peer zeroes its state
 * and the others get PEER_GONE, then it rejoins.
 */
static void test_three_peers(void)
{
    int c[NP], fds[NP][NP][NV], own_dup[NV];
    uint32_t *state = MAP_FAILED;
    int a, b, v, i;
    Init in;
    Srv s;

    memset(fds, -1, sizeof(fds));
    begin_group();
    if (!CHECK(srv_start(&s, "-n", "3", "-V", "3", "-r", "0", "-o", "4K", NULL),
               "server did not start")) {
        srv_stop(&s, SIGKILL);
        end_group("EVENT_FD sequence for 3 peers");
        return;
    }
    for (a = 0; a < NP; a++) {
        c[a] = client_connect(s.sock);
        if (!get_init(c[a], &in)) {
            continue;
        }
        CHECK(in.id == (uint32_t)a, "id %u", in.id);
        if (a == 0) {
            state = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
                         in.fd, 0);
        }
        close(in.fd);
        /* existing peers get the new peer's vectors, in order */
        for (b = 0; b < a; b++) {
            for (v = 0; v < NV; v++) {
                fds[b][a][v] = get_event_fd(c[b], a, v);
            }
        }
        /* the new peer gets every existing peer's vectors, then its own */
        for (b = 0; b <= a; b++) {
            for (v = 0; v < NV; v++) {
                fds[a][b][v] = get_event_fd(c[a], b, v);
            }
        }
        for (b = 0; b <= a; b++) {
            CHECK(quiet(c[b], 100), "peer %d got an extra message", b);
        }
    }
    end_group("EVENT_FD sequence for 3 peers (per peer, vectors increasing, "
              "own last)");

    begin_group();
    for (a = 0; a < NP; a++) {
        for (b = 0; b < NP; b++) {
            for (v = 0; v < NV; v++) {
                uint64_t val = 100 * a + 10 * b + v + 1, got = 0;

                if (a == b) {
                    continue;
                }
                CHECK(write(fds[a][b][v], &val, 8) == 8, "write");
                for (i = 0; i < NP * NV; i++) {
                    int f = fds[i / NV][i / NV][i % NV];
                    uint64_t x;

                    if (i / NV == b && i % NV == v) {
                        CHECK(read(f, &got, 8) == 8 && got == val,
                              "%d->%d vector %d: read %" PRIu64 " want %"
                              PRIu64, a, b, v, got, val);
                    } else {
                        CHECK(read(f, &x, 8) < 0 && errno == EAGAIN,
                              "%d->%d vector %d also signalled peer %d "
                              "vector %d", a, b, v, i / NV, i % NV);
                    }
                }
            }
        }
    }
    end_group("eventfds connect the peers (signal A's fd for B/v, read B's "
              "own v)");

    begin_group();
    if (CHECK(state != MAP_FAILED, "mmap state table")) {
        for (a = 0; a < NP; a++) {
            state[a] = 0x11111111u * (a + 1);
        }
        close(c[1]);
        CHECK(get_peer_gone(c[0], 1), "peer 0: no PEER_GONE(1)");
        CHECK(get_peer_gone(c[2], 1), "peer 2: no PEER_GONE(1)");
        CHECK(state[1] == 0, "state[1] = 0x%x after leave", state[1]);
        CHECK(state[0] == 0x11111111 && state[2] == 0x33333333,
              "other state entries changed: 0x%x 0x%x", state[0], state[2]);
        CHECK(srv_wait_line(&s, "peer 1 left", 3000), "no 'peer 1 left'");
        CHECK(quiet(c[0], 100) && quiet(c[2], 100), "extra messages");
    }
    end_group("state entry zeroed and PEER_GONE to the others on leave");

    begin_group();
    for (v = 0; v < NV; v++) {
        close(fds[0][1][v]);
        close(fds[2][1][v]);
        close(fds[1][0][v]);
        close(fds[1][1][v]);
        close(fds[1][2][v]);
    }
    c[1] = client_connect(s.sock);
    if (get_init(c[1], &in)) {
        CHECK(in.id == 1, "rejoin id %u", in.id);
        close(in.fd);
        for (v = 0; v < NV; v++) {
            fds[0][1][v] = get_event_fd(c[0], 1, v);
        }
        for (v = 0; v < NV; v++) {
            fds[2][1][v] = get_event_fd(c[2], 1, v);
        }
        /* existing peers in ID order (0, 2), its own (1) last */
        for (i = 0; i < NP; i++) {
            b = i == 0 ? 0 : i == 1 ? 2 : 1;
            for (v = 0; v < NV; v++) {
                fds[1][b][v] = get_event_fd(c[1], b, v);
            }
        }
        CHECK(quiet(c[0], 100) && quiet(c[1], 100) && quiet(c[2], 100),
              "extra messages after the rejoin");
        for (v = 0; v < NV; v++) {
            uint64_t val = 7 + v, got = 0;

            own_dup[v] = fds[1][1][v];
            CHECK(write(fds[0][1][v], &val, 8) == 8, "write");
            CHECK(read(own_dup[v], &got, 8) == 8 && got == val,
                  "rejoined peer vector %d: got %" PRIu64, v, got);
            val = 9;
            CHECK(write(fds[1][2][v], &val, 8) == 8, "write");
            CHECK(read(fds[2][2][v], &got, 8) == 8 && got == 9,
                  "rejoined peer -> 2 vector %d: got %" PRIu64, v, got);
        }
    }
    end_group("a peer rejoins with the same ID and fresh connected eventfds");

    for (a = 0; a < NP; a++) {
        for (b = 0; b < NP; b++) {
            for (v = 0; v < NV; v++) {
                if (fds[a][b][v] >= 0) {
                    close(fds[a][b][v]);
                }
            }
        }
        close(c[a]);
    }
    if (state != MAP_FAILED) {
        munmap(state, 4096);
    }
    srv_stop(&s, SIGTERM);
}

static void test_rejoin_loop(void)
{
    int a, b, i, before, after, self_before, self_after, bad = 0;
    Init in;
    Srv s;

    begin_group();
    if (!CHECK(srv_start(&s, "-V", "2", NULL), "server did not start")) {
        srv_stop(&s, SIGKILL);
        end_group("leave/rejoin 200 times without fd growth");
        return;
    }
    a = client_connect(s.sock);
    if (get_init(a, &in)) {
        close(in.fd);
    }
    drain_event_fds(a, 0, 2);
    before = count_fds(s.pid);
    self_before = count_fds(getpid());
    for (i = 0; i < 200 && !bad; i++) {
        b = client_connect(s.sock);
        if (!get_init(b, &in)) {
            bad++;
            break;
        }
        close(in.fd);
        if (!CHECK(in.id == 1, "iteration %d: id %u", i, in.id)) {
            bad++;
        }
        if (!drain_event_fds(a, 1, 2) || !drain_event_fds(b, 0, 2) ||
            !drain_event_fds(b, 1, 2)) {
            bad++;
        }
        close(b);
        if (!get_peer_gone(a, 1)) {
            bad++;
        }
    }
    CHECK(i == 200, "stopped after %d iterations", i);
    after = count_fds(s.pid);
    self_after = count_fds(getpid());
    CHECK(before > 0 && before == after, "server fds %d before, %d after",
          before, after);
    CHECK(self_before == self_after, "test fds %d before, %d after",
          self_before, self_after);
    printf("# server fds: %d before, %d after 200 rejoins\n", before, after);
    close(a);
    srv_stop(&s, SIGTERM);
    end_group("leave/rejoin 200 times without fd growth in the server");
}

static void test_full(void)
{
    int a, b, c, n;
    char byte;
    Srv s;

    begin_group();
    if (!CHECK(srv_start(&s, "-V", "1", NULL), "server did not start")) {
        srv_stop(&s, SIGKILL);
        end_group("refusal when all IDs are taken");
        return;
    }
    a = client_connect(s.sock);
    expect_init(a, 0, ~0u);
    b = client_connect(s.sock);
    expect_init(b, 1, ~0u);
    c = client_connect(s.sock);
    CHECK(c >= 0, "connect");
    n = recv(c, &byte, 1, 0);
    CHECK(n == 0, "third client: recv %d (want EOF)", n);
    close(c);
    CHECK(srv_wait_line(&s, "connection refused: all 2 peer IDs in use",
                        3000), "no refusal line");
    drain_event_fds(a, 0, 1);
    drain_event_fds(a, 1, 1);
    CHECK(quiet(a, 100), "peer 0 heard of the refused client");
    close(b);
    get_peer_gone(a, 1);
    c = client_connect(s.sock);
    expect_init(c, 1, ~0u);
    drain_event_fds(a, 1, 1);
    /* a client that sends anything has left */
    CHECK(send(c, "x", 1, 0) == 1, "send");
    CHECK(get_peer_gone(a, 1), "no PEER_GONE after a client sent data");
    drain_event_fds(c, 0, 1);
    drain_event_fds(c, 1, 1);
    n = recv(c, &byte, 1, 0);
    CHECK(n == 0, "client that sent data: recv %d, want EOF", n);
    close(a);
    close(c);
    srv_stop(&s, SIGTERM);
    end_group("refusal (close) when all IDs are taken, ID reusable after; "
              "a client that sends is dropped");
}

static void check_virtio(const char *proto, uint32_t back, uint32_t front)
{
    int c0, c1;
    Srv s;

    if (!CHECK(srv_start(&s, "-P", proto, NULL), "server -P %s did not start",
               proto)) {
        srv_stop(&s, SIGKILL);
        return;
    }
    c0 = client_connect(s.sock);
    expect_init(c0, 0, back);
    c1 = client_connect(s.sock);
    expect_init(c1, 1, front);
    close(c0);
    CHECK(srv_wait_line(&s, "peer 0 left", 3000), "no 'peer 0 left'");
    c0 = client_connect(s.sock);
    expect_init(c0, 0, back);
    close(c0);
    close(c1);
    srv_stop(&s, SIGTERM);
}

static void test_virtio(void)
{
    begin_group();
    check_virtio("0x8005", 0xc005, 0x8005);
    check_virtio("0xC012", 0xc012, 0x8012);
    check_virtio("49153", 0xc001, 0x8001);
    end_group("virtio protocol role split (peer 0 back-end, peer 1 front-end)");
}

static void test_file_backing(void)
{
    char file[PATH_MAX], dir[PATH_MAX], buf[4096];
    struct stat st, st2;
    uint8_t *p;
    Init in;
    Srv s;
    int c, fd;
    DIR *d;
    struct dirent *de;
    int entries = 0;

    begin_group();
    tpath(file, sizeof(file), "backing");
    fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    memset(buf, 0xab, sizeof(buf));
    for (c = 0; c < 64; c++) {
        CHECK(write(fd, buf, sizeof(buf)) == sizeof(buf), "write");
    }
    close(fd);
    if (CHECK(srv_start(&s, "-m", file, "-r", "8K", "-o", "4K", NULL),
              "server -m file did not start")) {
        c = client_connect(s.sock);
        if (get_init(c, &in)) {
            CHECK(stat(file, &st) == 0 && fstat(in.fd, &st2) == 0 &&
                  st.st_ino == st2.st_ino, "fd is not the -m file");
            CHECK(st.st_size == 4096 + 8192 + 2 * 4096, "file size %lld",
                  (long long)st.st_size);
            p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                     in.fd, 0);
            if (CHECK(p != MAP_FAILED, "mmap")) {
                CHECK(p[0] == 0 && p[4096] == 0 && p[st.st_size - 1] == 0,
                      "old content not truncated");
                p[5000] = 0x5a;
                fd = open(file, O_RDONLY);
                CHECK(pread(fd, buf, 1, 5000) == 1 && buf[0] == 0x5a,
                      "write through the fd not in the file");
                close(fd);
                munmap(p, st.st_size);
            }
            close(in.fd);
        }
        close(c);
    }
    srv_stop(&s, SIGTERM);
    CHECK(access(file, F_OK) == 0, "-m file must be kept");
    unlink(file);
    end_group("-m regular file backing (created/truncated, sized to layout)");

    begin_group();
    tpath(dir, sizeof(dir), "memdir");
    mkdir(dir, 0700);
    if (CHECK(srv_start(&s, "-m", dir, "-n", "3", "-o", "8K", NULL),
              "server -m dir did not start")) {
        c = client_connect(s.sock);
        if (get_init(c, &in)) {
            CHECK(fstat(in.fd, &st) == 0 && st.st_nlink == 0,
                  "temporary file not unlinked");
            CHECK(st.st_size == 4096 + 65536 + 3 * 8192, "size %lld",
                  (long long)st.st_size);
            close(in.fd);
        }
        close(c);
        d = opendir(dir);
        while (d && (de = readdir(d))) {
            entries += de->d_name[0] != '.';
        }
        if (d) {
            closedir(d);
        }
        CHECK(entries == 0, "%d files left in the directory", entries);
    }
    srv_stop(&s, SIGTERM);
    rmdir(dir);
    end_group("-m directory backing (temporary unlinked file)");

    begin_group();
    if (CHECK(srv_start(&s, "-l", "1M", "-o", "64K", NULL),
              "server -l 1M did not start")) {
        c = client_connect(s.sock);
        if (get_init(c, &in)) {
            off_t size = fd_size(in.fd);
            uint64_t rw = size - 4096 - in.max_peers * in.out_size;

            CHECK(size == 1 << 20, "size %lld", (long long)size);
            CHECK(in.out_size == 65536, "out size %" PRIu64, in.out_size);
            CHECK(rw == (1 << 20) - 4096 - 2 * 65536, "R/W %" PRIu64, rw);
            close(in.fd);
        }
        close(c);
    }
    srv_stop(&s, SIGTERM);
    if (CHECK(srv_start(&s, "-l", "2M", "-n", "2000", "-o", "0", NULL),
              "server -l 2M -n 2000 -o 0 did not start")) {
        c = client_connect(s.sock);
        if (get_init(c, &in)) {
            CHECK(fd_size(in.fd) == 2 << 20, "size %lld",
                  (long long)fd_size(in.fd));
            CHECK(in.out_size == 0 && in.max_peers == 2000, "INIT fields");
            close(in.fd);
        }
        close(c);
    }
    srv_stop(&s, SIGTERM);
    end_group("-l total size compat (R/W section = remainder)");
}

static void test_hugetlbfs(void)
{
    static const char *const name = "hugetlbfs rounding (R/W absorbs it)";
    const char *mnt = getenv("IVSHMEM2_TEST_HUGETLBFS");
    struct statfs sfs;
    Init in;
    Srv s;
    int c;

    if (!mnt) {
        mnt = "/dev/hugepages";
    }
    if (statfs(mnt, &sfs) < 0 || (uint32_t)sfs.f_type != 0x958458f6) {
        skip_group(name, "no hugetlbfs mounted");
        return;
    }
    begin_group();
    if (CHECK(srv_start(&s, "-m", mnt, "-r", "4K", "-o", "4K", NULL),
              "server did not start on %s (free huge pages?)", mnt)) {
        c = client_connect(s.sock);
        if (get_init(c, &in)) {
            CHECK(fd_size(in.fd) == sfs.f_bsize, "size %lld, huge page %ld",
                  (long long)fd_size(in.fd), (long)sfs.f_bsize);
            close(in.fd);
        }
        close(c);
    }
    srv_stop(&s, SIGTERM);
    end_group(name);
}

static bool process_gone(pid_t pid)
{
    char path[64], buf[256], *p;
    int fd;
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY);
    if (fd < 0) {
        return true;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return true;
    }
    buf[n] = 0;
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'Z';
}

static void test_daemon(void)
{
    char sock[PATH_MAX], pidf[PATH_MAX], shm[64], shm_path[128], err[1024];
    char buf[32] = "";
    const char *args[MAX_ARGS];
    int status, fd, c, i;
    pid_t pid = 0;

    begin_group();
    tpath(sock, sizeof(sock), "daemon.sock");
    tpath(pidf, sizeof(pidf), "daemon.pid");
    snprintf(shm, sizeof(shm), "/ivshmem2-test-%d-daemon", (int)getpid());
    snprintf(shm_path, sizeof(shm_path), "/dev/shm%s", shm);
    args[0] = "-S";
    args[1] = sock;
    args[2] = "-M";
    args[3] = shm;
    args[4] = "-p";
    args[5] = pidf;
    args[6] = NULL;
    status = run_capture(args, err, sizeof(err));
    CHECK(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "daemon start: status 0x%x, stderr '%s'", status, err);
    fd = open(pidf, O_RDONLY);
    if (CHECK(fd >= 0, "no pidfile") && pid == 0) {
        CHECK(read(fd, buf, sizeof(buf) - 1) > 0, "empty pidfile");
        close(fd);
        pid = atoi(buf);
        CHECK(pid > 0 && buf[strlen(buf) - 1] == '\n' && kill(pid, 0) == 0,
              "pidfile '%s' does not name a live process", buf);
    }
    c = client_connect(sock);
    if (CHECK(c >= 0, "cannot connect to the daemon")) {
        expect_init(c, 0, ~0u);
        close(c);
    }
    if (pid > 0) {
        kill(pid, SIGTERM);
        for (i = 0; i < 300 && !process_gone(pid); i++) {
            usleep(10000);
        }
        CHECK(process_gone(pid), "daemon did not exit on SIGTERM");
    }
    CHECK(access(pidf, F_OK) < 0, "pidfile not removed");
    CHECK(access(sock, F_OK) < 0, "socket not removed");
    CHECK(access(shm_path, F_OK) < 0, "shm object not removed");
    unlink(pidf);
    unlink(sock);
    end_group("daemon mode writes the pidfile, SIGTERM cleans up");
}

/*
 * A server killed with SIGKILL leaves its shm object behind. One started
 * with the same -M name must create a new object: the guests of the old
 * server may still map the old one, which must keep its size and content.
 */
static void test_restart(void)
{
    char shm[64];
    struct stat st, st2;
    uint8_t *p, *q;
    Init in, in2;
    Srv s, s2;
    int c, c2;

    begin_group();
    snprintf(shm, sizeof(shm), "/ivshmem2-test-%d-restart", (int)getpid());
    if (CHECK(srv_start(&s, "-M", shm, NULL), "server did not start")) {
        c = client_connect(s.sock);
        if (get_init(c, &in)) {
            p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, in.fd,
                     0);
            if (CHECK(p != MAP_FAILED, "mmap")) {
                p[100] = 0x5a;
                srv_stop(&s, SIGKILL);
                if (CHECK(srv_start(&s2, "-M", shm, NULL),
                          "no restart with the same -M name")) {
                    c2 = client_connect(s2.sock);
                    if (get_init(c2, &in2)) {
                        CHECK(in2.id == 0, "new server gave ID %u", in2.id);
                        CHECK(fstat(in.fd, &st) == 0 &&
                              fstat(in2.fd, &st2) == 0 &&
                              st.st_ino != st2.st_ino,
                              "the new server reused the old object");
                        CHECK(st.st_size == st2.st_size,
                              "old object resized to %lld",
                              (long long)st.st_size);
                        CHECK(p[100] == 0x5a, "old memory lost its content");
                        q = mmap(NULL, 4096, PROT_READ, MAP_SHARED, in2.fd,
                                 0);
                        if (CHECK(q != MAP_FAILED, "mmap new")) {
                            CHECK(q[100] == 0, "new memory not zero");
                            munmap(q, 4096);
                        }
                        close(in2.fd);
                    }
                    close(c2);
                }
                srv_stop(&s2, SIGTERM);
                munmap(p, 4096);
            }
            close(in.fd);
        }
        close(c);
    }
    srv_stop(&s, SIGKILL);
    shm_unlink(shm);
    end_group("restart after SIGKILL: new memory, the old link's stays");
}

static void test_socket_handling(void)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    const char *args[MAX_ARGS];
    char err[1024], shm_path[128];
    int fd, c, status;
    Srv s, s2;

    begin_group();
    /* a stale socket file (bound, nobody listening) */
    tpath(sun.sun_path, sizeof(sun.sun_path), "sock");
    unlink(sun.sun_path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0, "bind");
    close(fd);
    if (CHECK(srv_start(&s, "-V", "1", NULL), "no start over a stale socket")) {
        /* a second server must not steal a live socket */
        args[0] = "-F";
        args[1] = "-S";
        args[2] = s.sock;
        args[3] = "-M";
        args[4] = "/ivshmem2-test-second";
        args[5] = NULL;
        status = run_capture(args, err, sizeof(err));
        CHECK(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 1,
              "second server on a live socket: status 0x%x", status);
        CHECK(strstr(err, "another server") != NULL, "stderr '%s'", err);
        c = client_connect(s.sock);
        expect_init(c, 0, ~0u);
        close(c);
        memcpy(&s2, &s, sizeof(s));
        status = srv_stop(&s, SIGINT);
        CHECK(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "SIGINT: status 0x%x", status);
        CHECK(access(s2.sock, F_OK) < 0, "socket not removed on SIGINT");
        snprintf(shm_path, sizeof(shm_path), "/dev/shm%s", s2.shm);
        CHECK(access(shm_path, F_OK) < 0, "shm not removed on SIGINT");
    } else {
        srv_stop(&s, SIGKILL);
    }
    end_group("stale socket replaced, live socket refused, SIGINT cleans up");
}

static void test_slow_client(void)
{
    int a, b, n = 0, r;
    int64_t t0;
    Init in;
    Msg m;
    Srv s;

    begin_group();
    if (!CHECK(srv_start(&s, "-V", "1024", NULL), "server did not start")) {
        srv_stop(&s, SIGKILL);
        end_group("a client that stops reading is dropped, others go on");
        return;
    }
    a = client_connect(s.sock);
    get_init(a, &in);
    close(in.fd);
    drain_event_fds(a, 0, 1024);
    /* a stops reading now; b joins: 1024 EVENT_FDs for a overflow it */
    t0 = now_ms();
    b = client_connect(s.sock);
    expect_init(b, 1, ~0u);
    drain_event_fds(b, 1, 1024);
    CHECK(get_peer_gone(b, 0), "no PEER_GONE for the stuck peer");
    CHECK(srv_wait_line(&s, "peer 1 connected", 3000), "no connect line");
    CHECK(now_ms() - t0 < 10000, "took %lld ms", (long long)(now_ms() - t0));
    /* a sees some EVENT_FDs, then EOF */
    while ((r = recv_msg(a, &m)) == 1) {
        if (m.fd >= 0) {
            close(m.fd);
        }
        n++;
    }
    CHECK(r == 0 && n > 0 && n < 1024, "stuck peer: r %d after %d messages",
          r, n);
    printf("# stuck peer got %d of 1024 EVENT_FDs before being dropped\n", n);
    close(a);
    close(b);
    srv_stop(&s, SIGTERM);
    end_group("a client that stops reading is dropped, others go on");
}

static void cleanup_tmpdir(void)
{
    char cmd[PATH_MAX + 16];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", tmpdir);
    }
}

int main(int argc, char *argv[])
{
    struct rlimit rl;

    if (argc != 2) {
        fprintf(stderr, "usage: %s <ivshmem2-server binary>\n", argv[0]);
        return 2;
    }
    server_bin = argv[1];
    if (access(server_bin, X_OK) < 0) {
        fprintf(stderr, "%s: not executable\n", server_bin);
        return 2;
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }

    test_option_refusals();
    test_init();
    test_id_assignment();
    test_three_peers();
    test_rejoin_loop();
    test_full();
    test_virtio();
    test_file_backing();
    test_hugetlbfs();
    test_daemon();
    test_restart();
    test_socket_handling();
    test_slow_client();

    cleanup_tmpdir();
    printf("1..%d\n", test_no);
    printf("# %d passed, %d failed\n", n_passed, n_failed);
    return n_failed ? 1 : 0;
}
