/*
 * The operator commands. Each returns the process exit code; the codes are
 * stable and documented in the README.
 */
#pragma once

#include <stdbool.h>

#include "src/conf/config.h"
#include "src/provider/provider.h"

enum cmd_exit {
	CMD_EXIT_OK = 0,
	CMD_EXIT_FAIL = 1,     /* the operation failed (DNS, key, provider) */
	CMD_EXIT_USAGE = 2,    /* bad command line or configuration */
	CMD_EXIT_HELD = 3,     /* init refused: the other site holds a valid lease */
	CMD_EXIT_NOTFOUND = 4, /* show: the lease records do not exist */
};

int cmd_init(const config_t *cfg, bool force);
int cmd_show(const config_t *cfg);
/* promote (ROLE=dr) or failback (ROLE=primary): a forced change of owner. */
int cmd_force(const config_t *cfg, const char *command);
/* The standalone watcher; loads its own (watch-only) configuration. */
int cmd_watch(const char *path, char *const *envp);
/* Loads the configuration itself so that it can report every step. */
int cmd_validate(const char *path, char *const *envp);
/*
 * The setup wizard: asks (or reads from answers, KEY=VALUE lines) every
 * setting, with defaults from envp and the file at config_path (may be
 * NULL), writes out (NULL: config_path, else ./dnsfailover.env) with mode
 * 0600, and runs cmd_validate() on it. End of input writes nothing.
 */
int cmd_setup(const char *config_path, const char *answers, const char *out, char *const *envp);

/*
 * After a write of next whose outcome is unknown: reads the lease back
 * through p and logs what it holds. True when it holds next (the update
 * applied although its answer was lost).
 */
bool cmd_read_back(provider_t *p, const lease_t *next, const char *command);
