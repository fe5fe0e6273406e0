/* What Debian's build of lua5.4 generates (debian/rules): the multiarch
 * triplet its luaconf.h uses for library search paths. */
#define DEB_HOST_MULTIARCH "x86_64-linux-gnu"
