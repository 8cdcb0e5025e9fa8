/* log: the operator's log, one line per event, in Redis's format so that
 * existing log tooling reads it: "pid:role dd Mon yyyy hh:mm:ss.mmm * msg". */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_level = LOG_NOTICE;
static FILE *log_fp; /* NULL: stdout */
static char log_role = 'M';

static const char *const level_names[] = {"debug", "verbose", "notice", "warning"};
static const char level_marks[] = ".-*#";

void log_set_level(int level)
{
    log_level = level;
}
int log_get_level(void)
{
    return log_level;
}
void log_set_role(char role)
{
    log_role = role;
}

int log_level_from_name(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcasecmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

const char *log_level_name(int level)
{
    return level >= 0 && level < 4 ? level_names[level] : "unknown";
}

int log_set_file(const char *path)
{
    FILE *fp = NULL;
    if (path && path[0]) {
        fp = fopen(path, "a");
        if (!fp)
            return -1;
    }
    if (log_fp)
        fclose(log_fp);
    log_fp = fp;
    return 0;
}

void log_msg(int level, const char *fmt, ...)
{
    if (level < log_level)
        return;
    int saved_errno = errno;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char stamp[64];
    size_t n = strftime(stamp, sizeof(stamp), "%d %b %Y %H:%M:%S.", &tm);
    snprintf(stamp + n, sizeof(stamp) - n, "%03d", (int)(tv.tv_usec / 1000));

    FILE *fp = log_fp ? log_fp : stdout;
    fprintf(fp, "%d:%c %s %c %s\n", (int)getpid(), log_role, stamp, level_marks[level], msg);
    fflush(fp);
    errno = saved_errno;
}
