/*
 * dnsrecordsd: the records API (register, update, unregister, list, verify)
 * on the RFC 2136 core. Everything lives in the library.
 */
#include "src/records/records_main.h"

int main(int argc, char **argv)
{
	return rec_main(argc, argv);
}
