package dev.jobexec.job;

/** Whether a job is an OS process or a Java task. */
public enum JobKind {

	PROCESS, TASK

}
