/* dnsrecordsctl: the operators' client of dnsrecordsd. Everything lives in the library. */
#include "src/records/records_cli.h"

int main(int argc, char **argv)
{
	return rec_cli_main(argc, argv);
}
