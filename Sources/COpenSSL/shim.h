#include <openssl/evp.h>
#include <openssl/rand.h>

/* EVP_PKEY_ED25519 is a macro naming another macro: give Swift a plain function. */
static inline int carillon_evp_pkey_ed25519(void) { return EVP_PKEY_ED25519; }
