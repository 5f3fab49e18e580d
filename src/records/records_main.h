/*
 * dnsrecordsd's program: options, the configuration check (-n), starting
 * the API and running until SIGTERM or SIGINT.
 */
#pragma once

int rec_main(int argc, char **argv);
