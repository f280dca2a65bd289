/** Thread jobs: the {@link JobTask} SPI, the task registry and the built-in tasks. */
@NamedInterface("thread")
package dev.jobexec.execution.thread;

import org.springframework.modulith.NamedInterface;
