/* log: the operator's log.  Lines look like Redis's
 * `1234:M 25 Nov 2026 09:30:01.123 * Ready to accept connections`
 * and go to a file (logfile) or stdout. */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

enum { LOG_DEBUG, LOG_VERBOSE, LOG_NOTICE, LOG_WARNING };

void log_set_level(int level);
int log_get_level(void);
int log_level_from_name(const char *name); /* -1 if unknown */
const char *log_level_name(int level);
int log_set_file(const char *path); /* "" = stdout; 0 ok, -1 error (errno) */
void log_set_role(char role);       /* 'M' primary, 'S' replica, 'X' sentinel, 'C' child */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_VERBOSE, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)

#endif
