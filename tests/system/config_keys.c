/* Prints every key dnsfailover knows as NAME<TAB>DEFAULT (DEFAULT empty when
 * there is none), in the program's order, for the man page check of
 * test_install.sh: the keys are declared by the modules that own them, so the
 * program is the one list of them. */
#include <stdio.h>

#include "src/failover/config_modules.h"

int main(void)
{
	config_key_info_t info;
	for (size_t i = 0; config_key_at(failover_config_modules, i, &info); i++) {
		printf("%s\t%s\n", info.name, info.def != NULL ? info.def : "");
	}
	return 0;
}
