package runs

import "testing"

func TestStepAxis(t *testing.T) {
	x, label := StepAxis(0, 0)
	if label != "step" || x(30) != 30 {
		t.Errorf("no epoch ended: %q, x(30) = %v", label, x(30))
	}
	x, label = StepAxis(40, 2) // 20 steps per epoch
	if label != "epoch" || x(30) != 1.5 {
		t.Errorf("20 steps per epoch: %q, x(30) = %v, want 1.5", label, x(30))
	}
}
