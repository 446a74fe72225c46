/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/module.h>, see ../../README */
#ifndef _SHIM_LINUX_MODULE_H
#define _SHIM_LINUX_MODULE_H

#include <assert.h>

/* a string literal, as in the kernel */
#define MODULE_DESCRIPTION(desc)	static_assert(sizeof(desc) > 1, "")
#define MODULE_LICENSE(license)		static_assert(sizeof(license) > 1, "")

#endif
