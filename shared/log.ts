/** Operational logs (not audit records): structured JSON on stderr through winston. */
import winston from 'winston';

export const log = winston.createLogger({
  level: process.env.AGENTGATE_LOG_LEVEL ?? 'info',
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
});
