#include "src/lease/lease_value.h"

#include <string.h>

int lease_value_format(lease_t *l)
{
	int ret = lease_txt_format(&l->lease, l->txt, sizeof(l->txt));
	if (ret != DF_OK) {
		return ret;
	}
	l->has_txt = true;
	l->txt_valid = true;
	return DF_OK;
}

bool lease_value_same_txt(const lease_t *a, const lease_t *b)
{
	return a->has_txt && b->has_txt && strcmp(a->txt, b->txt) == 0;
}
