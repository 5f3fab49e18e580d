/* The route53 provider's keys (AWS_*, ROUTE53_*, HTTPS_PROXY), declared for the configuration. */
#pragma once

#include "src/conf/config.h"

extern const config_module_t route53_config;

/* The region a request to endpoint is signed for (SigV4 credential scope). */
const char *route53_signing_region(const config_route53_t *c);
