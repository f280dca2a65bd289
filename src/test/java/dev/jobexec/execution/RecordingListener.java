package dev.jobexec.execution;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records what one execution reported, in order: {@code "started"} and {@code "finished"}
 * events and the outcomes; optionally runs a check at the moment the end is reported.
 */
final class RecordingListener implements ExecutionListener {

	private final List<String> events = new CopyOnWriteArrayList<>();

	private final List<ExecutionOutcome> outcomes = new CopyOnWriteArrayList<>();

	private final Runnable atFinish;

	RecordingListener() {
		this(() -> {
		});
	}

	RecordingListener(Runnable atFinish) {
		this.atFinish = atFinish;
	}

	@Override
	public void started(ExecutionStart start) {
		events.add("started");
	}

	@Override
	public void finished(ExecutionOutcome outcome) {
		atFinish.run();
		outcomes.add(outcome);
		events.add("finished");
	}

	@Override
	public void startedAndFinished(ExecutionStart start, ExecutionOutcome outcome) {
		events.add("startedAndFinished");
		atFinish.run();
		outcomes.add(outcome);
	}

	List<String> events() {
		return List.copyOf(events);
	}

	boolean hasFinished() {
		return !outcomes.isEmpty();
	}

	/** The one outcome reported; fails when there was none or more than one. */
	ExecutionOutcome outcome() {
		if (outcomes.size() != 1) {
			throw new AssertionError("expected exactly one outcome, got " + outcomes);
		}
		return outcomes.getFirst();
	}

}
