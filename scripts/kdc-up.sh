#!/bin/bash
# kdc-up.sh DIR PORT: start a throw-away MIT KDC for realm CONTOSO.TEST on 127.0.0.1:PORT (TCP+UDP).
# Recipe from deps-and-peers.md §3.3. Principals (all +requires_preauth):
#   alice (Passw0rd), bob (password expired), carol (locked: -allow_tix),
#   sip/sip.contoso.test (aes256+aes128, keytab DIR/sip.keytab),
#   sip/aes128.contoso.test (aes128 only, also in DIR/sip.keytab),
#   sip/rc4.contoso.test (rc4-hmac only, keytab DIR/rc4.keytab).
# Prints "export KRB5_CONFIG=... KRB5_KDC_PROFILE=... KRB5CCNAME=... KRB5_KTNAME=..." on stdout.
# Stop with scripts/kdc-down.sh DIR. Optional env KDC_TIME_OFFSET: see below.
set -eu
export PATH="/usr/sbin:/sbin:$PATH"   # kdb5_util, kadmin.local and krb5kdc live in /usr/sbin
D=${1:?usage: kdc-up.sh DIR PORT}; PORT=${2:?usage: kdc-up.sh DIR PORT}; REALM=CONTOSO.TEST
mkdir -p "$D"
cat > "$D/krb5.conf" <<EOC
[libdefaults]
  default_realm = $REALM
  dns_lookup_kdc = false
  dns_lookup_realm = false
  rdns = false
  udp_preference_limit = 1
  allow_weak_crypto = true
  permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 rc4-hmac
[realms]
  $REALM = {
    kdc = 127.0.0.1:$PORT
  }
[domain_realm]
  .contoso.test = $REALM
EOC
cat > "$D/kdc.conf" <<EOC
[kdcdefaults]
  kdc_listen = 127.0.0.1:$PORT
  kdc_tcp_listen = 127.0.0.1:$PORT
[realms]
  $REALM = {
    database_name = $D/principal
    key_stash_file = $D/stash
    acl_file = $D/kadm5.acl
    max_life = 10h
    default_principal_flags = +preauth
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  }
[logging]
  kdc = FILE:$D/kdc.log
EOC
echo "*/admin@$REALM *" > "$D/kadm5.acl"
export KRB5_CONFIG="$D/krb5.conf" KRB5_KDC_PROFILE="$D/kdc.conf"
kdb5_util create -s -r "$REALM" -P masterkey >/dev/null
kadmin.local -q "addprinc +requires_preauth -pw Passw0rd alice" >/dev/null 2>&1
kadmin.local -q "addprinc +requires_preauth -pwexpire \"2020-01-01 00:00:00\" -pw Passw0rd bob" >/dev/null 2>&1
kadmin.local -q "addprinc +requires_preauth -allow_tix -pw Passw0rd carol" >/dev/null 2>&1
kadmin.local -q "addprinc +requires_preauth -pw SvcPassw0rd sip/sip.contoso.test" >/dev/null 2>&1
kadmin.local -q "addprinc +requires_preauth -e aes128-cts-hmac-sha1-96:normal -pw Aes128Passw0rd sip/aes128.contoso.test" >/dev/null 2>&1
kadmin.local -q "setstr sip/aes128.contoso.test session_enctypes aes128-cts-hmac-sha1-96" >/dev/null 2>&1
kadmin.local -q "addprinc +requires_preauth -e rc4-hmac:normal -pw Rc4Passw0rd sip/rc4.contoso.test" >/dev/null 2>&1
kadmin.local -q "ktadd -k $D/sip.keytab -norandkey sip/sip.contoso.test" >/dev/null
kadmin.local -q "ktadd -k $D/sip.keytab -norandkey sip/aes128.contoso.test" >/dev/null
kadmin.local -q "ktadd -k $D/rc4.keytab -norandkey sip/rc4.contoso.test" >/dev/null
# KDC_TIME_OFFSET (for example "+1h") runs the KDC with a skewed clock under libfaketime
# (Debian package faketime): used by the clock-skew test.
if [ -n "${KDC_TIME_OFFSET:-}" ]; then
  faketime -f "$KDC_TIME_OFFSET" krb5kdc -n -P "$D/kdc.pid" >"$D/krb5kdc.out" 2>&1 &
else
  krb5kdc -n -P "$D/kdc.pid" >"$D/krb5kdc.out" 2>&1 &      # -n = stay in the foreground
fi
echo $! > "$D/kdc.shpid"
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
echo "export KRB5_CONFIG=$D/krb5.conf KRB5_KDC_PROFILE=$D/kdc.conf KRB5CCNAME=FILE:$D/ccache KRB5_KTNAME=$D/sip.keytab"
