/* zonepushd: see zones/zonepushd.h and doc/zonepushd.8. */
#include "zones/zonepushd.h"

int main(int argc, char **argv)
{
	return zonepushd_main(argc, argv);
}
