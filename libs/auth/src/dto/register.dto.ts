import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

/** Usernames: 3–32 of [A-Za-z0-9_.-] (docs/api.md), the same rule as ADMIN_USERNAME. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;
export const USERNAME_RULE = 'username must be 3-32 characters of A-Z, a-z, 0-9, "_", "." or "-"';

/** Password length bounds for registration, in characters (docs/api.md). */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/** Body of POST /api/auth/register. */
export class RegisterDto {
  @ApiProperty({ example: 'alice', pattern: USERNAME_PATTERN.source, minLength: 3, maxLength: 32 })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: USERNAME_RULE })
  username!: string;

  @ApiProperty({ example: 'correct horse battery staple', minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, {
    message: `password must be ${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters`,
  })
  password!: string;
}
