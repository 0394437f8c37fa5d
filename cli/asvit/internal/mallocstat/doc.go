// Package mallocstat reads back what glibc's allocator does, so that tests
// can check the settings the asvit binary makes at load time: glibc has no
// call that returns mallopt's parameters, so each is observed through its
// effect.
package mallocstat
