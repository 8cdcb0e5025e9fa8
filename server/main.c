/* main: keel-server's entry point.  Reads the configuration (a redis.conf
 * style file as the first argument, then --name value overrides), sets up
 * logging, daemonizes if asked, writes the pid file, and runs the server. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "persist.h"
#include "aof.h"
#include "replication.h"
#include "server.h"

static void main_usage(void)
{
    fprintf(stderr, "Usage: ./keel-server [/path/to/keel.conf] [options] [-]\n"
                    "       ./keel-server - (read config from stdin)\n"
                    "       ./keel-server -v or --version\n"
                    "       ./keel-server -h or --help\n\n"
                    "Examples:\n"
                    "       ./keel-server (run the server with default conf)\n"
                    "       ./keel-server /etc/keel/6379.conf\n"
                    "       ./keel-server --port 7777\n"
                    "       ./keel-server /etc/mykeel.conf --loglevel verbose\n");
}

static void main_daemonize(void)
{
    if (fork() != 0)
        exit(0); /* the parent exits; the child carries on */
    setsid();
    int fd = open("/dev/null", O_RDWR, 0);
    if (fd != -1) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
}

static void main_write_pidfile(const char *path)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        log_warning("Failed to write PID file %s: %s", path, strerror(errno));
        return;
    }
    fprintf(fp, "%d\n", (int)getpid());
    fclose(fp);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version"))) {
        printf("Keel server v=%s (Redis protocol %s)\n", KEEL_OWN_VERSION, KEEL_VERSION);
        return 0;
    }
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        main_usage();
        return 0;
    }

    static server srv;
    server *s = &srv;
    if (!realpath(argv[0], s->executable))
        snprintf(s->executable, sizeof(s->executable), "%s", argv[0]);
    const char *file = NULL;
    int first_override = 1;
    if (argc >= 2 && strncmp(argv[1], "--", 2) != 0) {
        file = argv[1];
        first_override = 2;
    }
    char err[1024];
    if (config_load(s, file, argc - first_override, argv + first_override, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }

    if (s->cfg.daemonize)
        main_daemonize();
    log_set_level(s->cfg.loglevel);
    if (s->cfg.logfile && s->cfg.logfile[0] && log_set_file(s->cfg.logfile) != 0) {
        fprintf(stderr, "Can't open the log file: %s\n", strerror(errno));
        return 1;
    }
    log_notice("Keel %s starting, pid=%d, speaking the Redis %s protocol", KEEL_OWN_VERSION,
               (int)getpid(), KEEL_VERSION);
    if (file)
        log_notice("Configuration loaded from %s", file);
    else
        log_warning("No config file specified, using the default config.");

    if (server_init(s) != 0)
        return 1;
    if (server_listen(s) != 0)
        return 1;
    if (server_tls_start(s) != 0)
        return 1;
    if (s->cfg.pidfile && s->cfg.pidfile[0])
        main_write_pidfile(s->cfg.pidfile);
    log_notice("Server initialized");
    /* The dataset, before serving: clients that connect meanwhile get
     * -LOADING (persist.h).  With appendonly yes the AOF loads instead. */
    if (aof_start(s, err, sizeof(err)) != 0) { /* reads the manifest even when off */
        log_warning("%s", err);
        return 1;
    }
    if (!s->cfg.appendonly && persist_load_at_startup(s) != 0)
        return 1;
    replication_init(s); /* `replicaof`: connect once the dataset is in */
    log_notice("Ready to accept connections tcp on port %d", s->cfg.port);
    server_run(s);
    server_free(s);
    return s->exit_code;
}
