/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/bitfield.h>, see ../../README */
#ifndef _SHIM_LINUX_BITFIELD_H
#define _SHIM_LINUX_BITFIELD_H

#define FIELD_PREP(mask, val) \
	((((__typeof__(mask))(val)) << __builtin_ctzll(mask)) & (mask))

#endif
