package main

import (
	"context"
	"errors"
)

func (d *driller) kill(ctx context.Context) outcome {
	if err := d.st.Missing("worker"); err != nil {
		return outcome{err: err}
	}
	return outcome{err: errors.New("not wired yet")}
}

func (d *driller) postgres(ctx context.Context) outcome {
	if err := d.st.Missing("worker"); err != nil {
		return outcome{err: err}
	}
	return outcome{err: errors.New("not wired yet")}
}

func (d *driller) faults(ctx context.Context) outcome {
	if err := d.st.Missing("worker"); err != nil {
		return outcome{err: err}
	}
	return outcome{err: errors.New("not wired yet")}
}
