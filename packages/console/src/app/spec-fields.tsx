/** The inputs of one JobSpec: used by the submit form and by the schedule form for its template. */
import { Field } from './components.js';
import { settings } from './settings.js';
import type { SpecField, SpecValues } from './spec-form.js';

interface SpecFieldsProps {
  values: SpecValues;
  errors: Record<string, string>;
  onChange: (field: SpecField, value: string) => void;
}

export function SpecFields({ values, errors, onChange }: SpecFieldsProps) {
  const { defaults, choices } = settings();
  const text = (field: SpecField, label: string, placeholder: string, hint?: string) => (
    <Field
      name={field}
      label={label}
      {...(errors[field] ? { error: errors[field] } : {})}
      {...(hint ? { hint } : {})}
    >
      {(props) => (
        <input
          {...props}
          name={field}
          value={values[field] ?? ''}
          placeholder={placeholder}
          autocomplete="off"
          spellcheck={false}
          onInput={(event) => onChange(field, event.currentTarget.value)}
        />
      )}
    </Field>
  );
  const number = (field: SpecField, label: string, fallback: number) => (
    <Field name={field} label={label} {...(errors[field] ? { error: errors[field] } : {})}>
      {(props) => (
        <input
          {...props}
          name={field}
          type="number"
          inputMode="numeric"
          value={values[field] ?? ''}
          placeholder={`${fallback} (default)`}
          onInput={(event) => onChange(field, event.currentTarget.value)}
        />
      )}
    </Field>
  );
  const choice = (field: SpecField, label: string, options: string[], fallback: string) => (
    <Field name={field} label={label} {...(errors[field] ? { error: errors[field] } : {})}>
      {(props) => (
        <select
          {...props}
          name={field}
          value={values[field] ?? ''}
          onChange={(event) => onChange(field, event.currentTarget.value)}
        >
          <option value="">{fallback} (default)</option>
          {options
            .filter((option) => option !== fallback)
            .map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
        </select>
      )}
    </Field>
  );
  return (
    <>
      <fieldset>
        <legend>Where</legend>
        {text('model.uri', 'Model URI', 's3://bucket/model/model.json', 'model.json of a TF.js layers model')}
        {text(
          'dataset.uri',
          'Dataset URI',
          's3://bucket/images/',
          'a folder of JPEG/PNG/WebP images, or a .npy file',
        )}
        {text(
          'output.uri',
          'Output URI',
          's3://bucket/runs/run-1/',
          'the checkpoint is written under this folder',
        )}
      </fieldset>
      <fieldset class="grid">
        <legend>Options</legend>
        {number('dataset.sample', 'Sample images', defaults.sample)}
        {number('dataset.heldOut', 'Held-out images', defaults.heldOut)}
        {choice('init.method', 'Method', choices.method, defaults.method)}
        {choice('init.random', 'Random filters', choices.random, defaults.random)}
        {choice('init.between', 'Between-layer', choices.between, defaults.between)}
        {number('init.batchSize', 'Batch size', defaults.batchSize)}
        {number('init.seed', 'Seed', defaults.seed)}
        {number('priority', 'Priority (1 highest)', defaults.priority)}
        {text('labels', 'Labels', 'team=vision, run=3')}
      </fieldset>
    </>
  );
}
