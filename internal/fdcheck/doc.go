// Package fdcheck helps tests check gradients against central finite
// differences along random directions.
package fdcheck
