/**
 * Process jobs: spawn, output capture, the termination ladder, and the command and
 * environment policies that submissions are checked against.
 */
@NamedInterface("process")
package dev.jobexec.execution.process;

import org.springframework.modulith.NamedInterface;
