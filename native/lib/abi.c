/* ps_abi_check: the managed mirrors of our structs must have the same sizes. */
#include <errno.h>

#include "podshim.h"

PS_EXPORT int ps_abi_check(int spawn_spec, int mount, int holder_spec, int exec_spec)
{
	if (spawn_spec != (int)sizeof(struct ps_spawn_spec) || mount != (int)sizeof(struct ps_mount)
	    || holder_spec != (int)sizeof(struct ps_holder_spec)
	    || exec_spec != (int)sizeof(struct ps_exec_spec))
		return -EPROTO;
	return 0;
}
