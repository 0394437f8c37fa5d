// Package prereq lets a test that needs something installed outside the
// module (a data set, a system tool) skip when it is missing on a
// developer's machine but fail where the environment promises it: CI sets
// the test's variable to 1 after the install step, so a broken install
// cannot pass unseen as a skipped test.
package prereq
