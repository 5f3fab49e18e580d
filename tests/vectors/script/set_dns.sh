#!/bin/bash
# Arguments: $1=record $2=ip $3=owner $4=expiry $5=ttl $6=zone
RECORD="$1"
IP="$2"
OWNER="$3"
EXPIRY="$4"

# Call your DNS API here
curl -X PUT "https://your-dns/api/record/$RECORD" \
  -d '{"ip":"'$IP'","txt":"owner='$OWNER' exp='$EXPIRY'"}'

exit 0
