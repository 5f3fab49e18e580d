/*
 * dnsrecordsctl: the operators' client of the records API (register,
 * unregister, list, verify). Exit codes as dnsfailover's: 0 done, 1 failed
 * (the server or the network), 2 usage, 3 refused (409 conflict, 412, 403,
 * 401), 4 not found (404; verify: not yet served everywhere).
 */
#pragma once

int rec_cli_main(int argc, char **argv);

/* The exit code for an HTTP status of the API. */
int rec_cli_exit_code(long status);
